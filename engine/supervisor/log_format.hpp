#pragma once
// Docker's json-file log format, without I/O (style.md rule 11: parsers take strings).
//
// One JSON object a line: {"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}.
// A line a container writes becomes one record whose "log" ends with "\n". Like
// Docker's log copier (moby daemon/logger/copier.go, 16 KiB buffer), a line longer
// than 16 KiB is cut into 16 KiB partial records whose "log" has no "\n", and a last
// line without "\n" at end of stream is written as it is.
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
  // Appends the entries completed by these bytes to out.
  void feed(std::string_view bytes, std::vector<LogEntry>& out);
  // End of stream: the bytes after the last newline, if any, as a partial entry.
  void finish(std::vector<LogEntry>& out);
  std::size_t pending() const { return pending_.size(); }

 private:
  std::string pending_;
};

// Appends one json-file line (with its trailing "\n") to out. Invalid UTF-8 becomes
// U+FFFD, as Go's encoder does, so every line stays valid JSON.
void encode_log_line(const LogEntry& e, std::string_view stream, int64_t time_ns, std::string& out);

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

}  // namespace stack::supervisor
