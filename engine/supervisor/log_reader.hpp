#pragma once
// Reads containers' json-file logs for `stack logs`. It only reads files, so it works
// with the supervisor down (design.md: logs reads the files).
//
// A LogCursor reads one container's log: first everything from the oldest rotated
// file (<name>-json.log.N) to the end of the live one, then, on each read_new(), what
// was appended since. It keeps the live file open, so when the writer rotates
// (renames the live file to .1 and opens a new one) the cursor first drains the old
// inode through its fd, then reads the files rotated after it, then the new live file.
// A file cut shorter than the cursor's offset (max-file 1 truncates in place) is read
// again from its start.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::supervisor {

struct LogSource {
  std::string container;  // the container's name: <project>-<service>-<n>
  std::string display;    // what `logs` prints in the prefix: <service>-<n>
  std::string service;    // <service>, for `logs SERVICE...`
  std::string path;       // its live json-file log
};

struct LogLine {
  std::size_t source = 0;  // index into the sources given
  std::string stream;      // "stdout" or "stderr"
  int64_t time_ns = 0;
  std::string text;        // without its newline
  bool newline = true;     // false: a partial record (long line piece, or last bytes)
};

struct LogQuery {
  std::optional<std::size_t> tail;  // -n/--tail: the last N lines of each container
  std::optional<int64_t> since_ns;  // --since
  std::optional<int64_t> until_ns;  // --until
};

// The log files of one container, oldest first: .N ... .1, then the live one.
std::vector<std::string> rotated_files(const std::string& live_path);

// The containers that have a log under logs_dir (<logs>/<container>/<container>-json.log),
// sorted by name; display and service are derived by removing "<project>-" and "-<n>".
Result<std::vector<LogSource>> list_log_sources(const std::string& logs_dir, const std::string& project);

class LogCursor {
 public:
  explicit LogCursor(std::string path) : path_(std::move(path)) {}
  // Appends every complete record line (raw JSON) from the oldest file to the end.
  Result<void> read_all(std::vector<std::string>& lines);
  // Appends the record lines written since the last read.
  Result<void> read_new(std::vector<std::string>& lines);

 private:
  Result<void> drain(std::vector<std::string>& lines);
  Result<void> open_live(std::vector<std::string>& lines);
  std::string path_;
  UniqueFd fd_;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  uint64_t offset_ = 0;
  std::string pending_;  // bytes after the last newline read from fd_
};

// Parses raw record lines of source `index`, applies the query (tail first, then
// since/until, as Docker does) and appends the result. Unparseable lines are skipped
// and counted in *skipped.
void select_lines(const std::vector<std::string>& raw, std::size_t index, const LogQuery& q,
                  std::vector<LogLine>& out, std::size_t* skipped = nullptr);

// Every selected line of every source, ordered by time (stable: a source's own order
// is kept for equal times). Sources without a log file give nothing.
Result<std::vector<LogLine>> read_logs(const std::vector<LogSource>& sources, const LogQuery& q);

}  // namespace stack::supervisor
