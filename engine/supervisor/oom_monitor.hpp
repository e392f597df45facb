#pragma once
// OOM kills of any process of a running container, seen as they happen: Docker sets
// State.OOMKilled and publishes an `oom` event for each, also when PID 1 survives (a
// shell whose child was killed). The cgroup's watch (OomPoll) wakes us; the kernel's
// kill count says whether a kill happened. A wake may come just before the kill is
// counted (v1 notifies the OOM condition, then the killer runs; driver.hpp), so a wake
// without a new kill is re-checked a few times on a timer.
#include <cstdint>
#include <functional>
#include <memory>

#include "engine/cgroup/driver.hpp"
#include "engine/supervisor/oom_poll.hpp"
#include "network/uv_timer.hpp"

namespace stack::supervisor {

// The container's group, for one run: a fresh watch, and the group's OOM kill count
// since the run began (the group and its cumulative count outlive runs).
struct OomSource {
  std::function<Result<cgroup::OomWatch>()> open;
  std::function<Result<uint64_t>()> kills;
};

class OomMonitor {
 public:
  // on_kills(n): n more processes were OOM-killed since the last report.
  static Result<std::unique_ptr<OomMonitor>> create(uv_loop_t* loop, const OomSource& src,
                                                    std::function<void(uint64_t)> on_kills);
  ~OomMonitor();
  OomMonitor(const OomMonitor&) = delete;
  OomMonitor& operator=(const OomMonitor&) = delete;

  // Reads the count now and reports what is new (the run is ending: the last kill may
  // not have woken us yet). Returns whether anything was new.
  bool check();
  uint64_t reported() const { return reported_; }

 private:
  OomMonitor(std::function<Result<uint64_t>()> kills, std::function<void(uint64_t)> cb)
      : kills_(std::move(kills)), on_kills_(std::move(cb)) {}
  void woken();

  std::function<Result<uint64_t>()> kills_;
  std::function<void(uint64_t)> on_kills_;
  UvOwned<OomPoll> poll_;
  UvOwned<net::UvTimer> recheck_;
  uint64_t reported_ = 0;
  uint64_t recheck_ms_ = 0;
};

}  // namespace stack::supervisor
