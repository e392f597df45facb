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

// How much of a buffer one write() takes. A write that fills fresh page-cache folios of
// 64 KiB and more may land on memory the machine has not touched for a while, which
// costs far more in a VM that hands free memory back to its host (virtio-balloon free
// page reporting: the host backs such a page again at its first touch). Measured here,
// CPU time per KiB of 256 KiB writes: ~0.2 us warm, a median of 2 us and up to 18 us in
// such phases, when 32 KiB writes (small folios, served from the per-CPU free lists
// that the pipe's freed pages refill) kept a median of 0.3 us; a 500 MB capture took
// the supervisor 0.7-6.3 s of CPU instead of ~0.42. So a write of kProbe or more whose
// CPU time passes kColdNsPerKiB makes the next kColdSpan bytes go in kColdPiece writes;
// then a whole buffer is tried again. On bare metal it never switches; a needless switch
// costs ~8x the write calls for 64 MiB.
class WritePacer {
 public:
  static constexpr std::size_t kProbe = 64 * 1024;
  static constexpr int64_t kColdNsPerKiB = 1000;
  static constexpr std::size_t kColdPiece = 32 * 1024;
  static constexpr uint64_t kColdSpan = 64 * 1024 * 1024;

  // The bytes of the next write, of `left` still to write.
  std::size_t piece(std::size_t left) const;
  // Whether a write of `piece` bytes is timed.
  bool times(std::size_t piece) const;
  // A write took `bytes`; cpu_ns: its thread CPU time when it was timed, else -1.
  void wrote(std::size_t bytes, int64_t cpu_ns);
  bool cold() const { return cold_left_ > 0; }

 private:
  uint64_t cold_left_ = 0;  // bytes still written in kColdPiece writes
};

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
  WritePacer pacer_;
  uint64_t dropped_lines_ = 0;
};

}  // namespace stack::supervisor
