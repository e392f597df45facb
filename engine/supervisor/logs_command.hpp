#pragma once
// The core of `stack logs` (docker compose logs), so that cmd/logs.cpp only parses
// flags: [-f] [-t] [-n|--tail N] [--since T] [--until T] [--no-color]
// [--no-log-prefix] [SERVICE...]. It reads the log files only: the supervisor may be down.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/supervisor/log_printer.hpp"
#include "engine/supervisor/log_reader.hpp"

namespace stack::supervisor {

struct LogsRequest {
  std::string logs_dir;               // Layout::logs_dir()
  std::string project;
  std::vector<std::string> services;  // empty: every service
  LogQuery query;
  PrintOptions print;
  bool follow = false;
  uint64_t poll_ms = 200;
  // In follow mode, asked after every poll; returning false ends following (tests,
  // or a CLI that installs its own signal handling). Without it, follow runs until
  // --until passes or the process is interrupted.
  std::function<bool()> keep_following;
};

// Builds the query from the flags' text: tail "all" or a number; since/until as
// parse_time_arg accepts; empty strings mean "not given".
Result<LogQuery> make_log_query(const std::string& tail, const std::string& since, const std::string& until,
                                int64_t now_ns);

// Prints the selected lines through write (is_stderr: the record came from the
// container's stderr, which compose prints on its own stderr).
using LogWrite = std::function<void(std::string_view text, bool is_stderr)>;
Result<void> run_logs(const LogsRequest& request, const LogWrite& write);

}  // namespace stack::supervisor
