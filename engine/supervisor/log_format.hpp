#pragma once
// Docker's json-file log format, without I/O (style.md rule 11: parsers take strings).
//
// One JSON object a line: {"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}.
// A line a container writes becomes one record whose "log" ends with "\n". Like
// Docker's log copier (moby daemon/logger/copier.go, 16 KiB buffer), a line longer
// than 16 KiB is cut into 16 KiB partial records whose "log" has no "\n", and a last
// line without "\n" at end of stream is written as it is.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::supervisor {

inline constexpr std::size_t kMaxLogLine = 16 * 1024;

struct LogEntry {
  std::string text;       // the bytes, without the newline
  bool newline = true;    // false: a partial piece (long line, or last bytes at EOF)
};

// Cuts a byte stream into log entries, whatever the sizes of the reads. The cut is
// a function of the bytes alone: a line of exactly 16 KiB is one entry; a longer one
// gives 16 KiB partial pieces and then its tail with the newline.
class LineSplitter {
 public:
  // Calls emit(std::string_view text, bool newline, bool plain) for each entry these
  // bytes complete; plain: the text needs no JSON escape (false: not known, the
  // encoder looks). The text points into the bytes or into the splitter and is valid
  // during the call only: a whole read is cut without copying a line, only the piece a
  // read ends in is kept for the next.
  template <class Emit>
  void feed_each(std::string_view bytes, Emit&& emit);
  // End of stream: the bytes after the last newline, if any, as a partial entry.
  template <class Emit>
  void finish_each(Emit&& emit);

  // The same, collecting copies.
  void feed(std::string_view bytes, std::vector<LogEntry>& out);
  void finish(std::vector<LogEntry>& out);
  std::size_t pending() const { return pending_.size(); }

 private:
  std::string pending_;  // never more than kMaxLogLine bytes
};

// Where the line at the start of bytes ends: the index of its first '\n', or
// bytes.size() when there is none. plain: no byte before that index needs a JSON
// escape. One pass finds both, 32 bytes at a time where the CPU has AVX2 (16 with
// SSE2): the splitter's search for the newline and the encoder's for bytes to escape
// were two passes over every line.
std::size_t find_line_end(std::string_view bytes, bool& plain);
// Every version of find_line_end this CPU can run, the one it uses among them: the tests
// check each (a machine with AVX2 would otherwise never run the SSE2 one).
using FindLineEndFn = std::size_t (*)(const char*, std::size_t, bool&);
std::vector<FindLineEndFn> find_line_end_variants();

// Appends one json-file line (with its trailing "\n") to out, escaped as Docker's
// json-file driver does (moby jsonlog's ffjsonWriteJSONBytesAsString): \" \\ \n \r,
// \u00XX for the other control bytes and for < > & (HTML-safe), \u2028 and \u2029,
// and invalid UTF-8 becomes \ufffd, so every line stays valid JSON. plain: the caller
// knows the text needs no escape (find_line_end said so); false: it is looked at here.
void encode_log_line(std::string_view text, bool newline, std::string_view stream, int64_t time_ns,
                     std::string& out, bool plain = false);
inline void encode_log_line(const LogEntry& e, std::string_view stream, int64_t time_ns, std::string& out) {
  encode_log_line(e.text, e.newline, stream, time_ns, out);
}

// The end of a record, `\n","stream":"<stream>","time":"<time>"}` and the newline, for
// one stream at one time: every line of one read shares it, so it is made once a read.
class RecordEnd {
 public:
  // Remakes the text when the stream or the time differs from the last.
  void set(std::string_view stream, int64_t time_ns);
  // With the escaped newline of a whole line before it, or without (a partial piece).
  std::string_view text(bool newline) const {
    std::string_view t(text_);
    return newline ? t : t.substr(2);
  }
  const std::string& stream() const { return stream_; }
  int64_t time_ns() const { return time_ns_; }

 private:
  std::string stream_;
  int64_t time_ns_ = 0;
  std::string text_;
};

struct LogRecord {
  std::string log;     // as written, with its "\n" when it was a whole line
  std::string stream;  // "stdout" or "stderr"
  int64_t time_ns = 0; // nanoseconds since the epoch
};
Result<LogRecord> parse_log_line(std::string_view line);

// RFC 3339 with nanoseconds in UTC, trailing zeros of the fraction dropped (Go's
// time.RFC3339Nano): 2024-05-01T10:00:00.12Z.
std::string format_rfc3339_nano(int64_t time_ns);
// RFC 3339 with optional fraction and a Z or ±hh:mm offset.
Result<int64_t> parse_rfc3339(std::string_view s);
// What `logs --since/--until` accept, like docker: RFC 3339, a date-time without zone
// (local time), a date, a unix timestamp with optional fraction, or a duration before
// `now_ns` such as 10m, 1h30m, 1.5h, 500ms.
Result<int64_t> parse_time_arg(std::string_view s, int64_t now_ns);
// Go's duration syntax: [0-9.]+(ns|us|µs|ms|s|m|h), repeated.
Result<int64_t> parse_go_duration(std::string_view s);

int64_t now_ns();

template <class Emit>
void LineSplitter::feed_each(std::string_view bytes, Emit&& emit) {
  if (!pending_.empty()) {
    // The line an earlier read began: it is whole if its newline is within reach.
    std::size_t reach = std::min(bytes.size(), kMaxLogLine + 1 - pending_.size());
    std::size_t nl = bytes.substr(0, reach).find('\n');
    if (nl != std::string_view::npos) {
      pending_.append(bytes.data(), nl);
      emit(std::string_view(pending_), true, false);
      bytes.remove_prefix(nl + 1);
    } else if (pending_.size() + bytes.size() > kMaxLogLine) {
      std::size_t take = kMaxLogLine - pending_.size();
      pending_.append(bytes.data(), take);
      emit(std::string_view(pending_), false, false);
      bytes.remove_prefix(take);
    } else {
      pending_.append(bytes);
      return;
    }
    pending_.clear();
  }
  for (;;) {
    std::string_view reach = bytes.substr(0, kMaxLogLine + 1);
    bool plain = false;
    std::size_t nl = find_line_end(reach, plain);
    if (nl < reach.size()) {
      emit(bytes.substr(0, nl), true, plain);
      bytes.remove_prefix(nl + 1);
    } else if (bytes.size() > kMaxLogLine) {
      // More than 16 KiB without a newline: the newline is not within reach. plain
      // held for all of reach, so for its first 16 KiB too.
      emit(bytes.substr(0, kMaxLogLine), false, plain);
      bytes.remove_prefix(kMaxLogLine);
    } else {
      break;
    }
  }
  pending_.assign(bytes);
}

template <class Emit>
void LineSplitter::finish_each(Emit&& emit) {
  if (!pending_.empty()) emit(std::string_view(pending_), false, false);
  pending_.clear();
}

}  // namespace stack::supervisor
