#include "cmd/run_oom.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

namespace stack::cli {

RunOomWatch::RunOomWatch(RunCgroup& cg, std::string service) : cg_(cg), service_(std::move(service)) {
  auto w = cg_.watch_oom();
  if (w) {
    watch_ = std::move(*w);
    return;
  }
  std::fprintf(stderr, "stack: warning: service %s: %s (OOM kills are seen only when the container exits)\n",
               service_.c_str(), w.error().message.c_str());
}

bool RunOomWatch::report_new() {
  auto n = cg_.oom_kills_since_mark();
  if (!n || *n <= reported_) return false;
  uint64_t fresh = *n - reported_;
  reported_ = *n;
  std::string what = fresh == 1 ? "a process was killed" : std::to_string(fresh) + " processes were killed";
  std::fprintf(stderr, "stack: %s: container OOMKilled: %s (out of memory)%s", service_.c_str(), what.c_str(), eol_);
  return true;
}

void RunOomWatch::woken() {
  if (!watch_.valid()) return;
  (void)watch_.drain();
  if (report_new()) return;
  for (int ms : {5, 10, 20, 40, 80}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (report_new()) return;
  }
}

}  // namespace stack::cli
