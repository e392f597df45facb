#pragma once
// One container's json-file log: lines are encoded into a buffer and written in
// batches (design.md invariant 2), and the file is rotated by size like Docker's
// json-file driver: <name>-json.log, then .1 (newest) ... .<max-file - 1> (oldest).
//
// A failed write (ENOSPC on a full disk, EIO) is returned as an error value; the file
// is cut back to the end of its last whole line so a torn line never remains, and
// the lines of that batch are counted as dropped. The next batch tries again.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {

struct LogFileOptions {
  uint64_t max_size = 0;  // bytes; 0: never rotate
  int max_file = 1;       // files kept, the live one included (1: truncate in place)
};

// logging: {driver, options} of a service. json-file (or no driver) gives its options;
// driver "none" gives nullopt (no log file). Other drivers and unknown options are
// refused by name rather than ignored.
Result<std::optional<LogFileOptions>> parse_log_options(const std::string& driver,
                                                        const std::map<std::string, std::string>& options);
// go-units RAMInBytes: "10m" = 10 MiB, "1.5k", "100b", "2GiB"; "-1" = no limit (0).
Result<uint64_t> parse_log_size(const std::string& s);

class LogFile {
 public:
  // Opens (creating) the log; a torn last line left by a crash is cut off.
  static Result<std::unique_ptr<LogFile>> open(std::string path, LogFileOptions options);

  // Buffers one record. When the file (with what is buffered) has reached max-size,
  // first writes the buffer out and rotates, so a file exceeds max-size by at most
  // one line (as Docker's does).
  // plain: the text needs no JSON escape (encode_log_line).
  Result<void> append(std::string_view text, bool newline, std::string_view stream, int64_t time_ns,
                      bool plain = false);
  Result<void> append(const LogEntry& e, std::string_view stream, int64_t time_ns) {
    return append(e.text, e.newline, stream, time_ns);
  }
  // The pump's path for a whole line that needs no escape (find_line_end said so), with
  // the record end of its read: the record is copied in three pieces, inline.
  Result<void> append_plain_line(std::string_view text, const RecordEnd& end) {
    std::string_view tail = end.text(true);
    if ((options_.max_size > 0 && size_ + buffer_.size() >= options_.max_size) ||
        buffer_.size() + 8 + text.size() + tail.size() > buffer_.capacity())
      return append(text, true, end.stream(), end.time_ns(), true);
    buffer_.append("{\"log\":\"", 8);
    buffer_.append(text);
    buffer_.append(tail);
    ++buffered_lines_;
    if (buffer_.size() >= kBatch) return flush();
    return {};
  }
  // Writes everything buffered.
  Result<void> flush();

  std::size_t buffered() const { return buffer_.size(); }
  std::size_t buffer_capacity() const { return buffer_.capacity(); }
  uint64_t dropped_lines() const { return dropped_lines_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  LogFile(std::string path, LogFileOptions o, UniqueFd fd, uint64_t size)
      : path_(std::move(path)), options_(o), fd_(std::move(fd)), size_(size) {}
  Result<void> rotate();

  static constexpr std::size_t kBatch = 256 * 1024;  // written when this much is buffered
  std::string path_;
  LogFileOptions options_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string buffer_;
  uint64_t buffered_lines_ = 0;
  bool small_flush_ = false;  // the last flush was small (see kKeep)
  uint64_t dropped_lines_ = 0;
};

}  // namespace stack::supervisor
