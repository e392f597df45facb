#pragma once
// OOM kills in a `stack run` container while it runs. `up` sees them through the
// supervisor's loop (engine/supervisor/oom_monitor.hpp); a run has no loop, so the
// poll() that waits for its container also waits on the group's OOM watch, and each new
// kill (a shell's child, while PID 1 runs on) is a line on stderr, where `up` writes one
// into the service's log. Without a watch the exit still says it (run.cpp).
#include <cstdint>
#include <string>

#include "cmd/run_cgroup.hpp"

namespace stack::cli {

class RunOomWatch {
 public:
  RunOomWatch(RunCgroup& cg, std::string service);
  // The fd to poll for POLLIN; -1 when the host gave no watch.
  int fd() const { return watch_.valid() ? watch_.fd() : -1; }
  // The fd woke: drains it and reports the kills counted since the last report. A wake
  // can come just before the kill is counted (cgroup v1 notifies, then the killer runs;
  // driver.hpp), so a wake without a new kill re-reads the count a few times (5..80 ms).
  void woken();
  uint64_t reported() const { return reported_; }
  // The terminal is in raw mode (a pty relay): lines end in "\r\n".
  void raw_terminal(bool on) { eol_ = on ? "\r\n" : "\n"; }

 private:
  bool report_new();
  RunCgroup& cg_;
  std::string service_;
  cgroup::OomWatch watch_;
  uint64_t reported_ = 0;
  const char* eol_ = "\n";
};

}  // namespace stack::cli
