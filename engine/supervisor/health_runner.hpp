#pragma once
// Runs one container's healthcheck on the loop, the way Docker's daemon does
// (daemon/health.go; the state machine is HealthTracker in health.hpp):
//
// - start() (the container runs, or runs again after a restart) sets the health to
//   "starting"; a probe starts when HealthTracker::next_probe_in says, measured from
//   the end of the previous probe.
// - A probe is a process started in the container by a ProbeLauncher (the caller's
//   seam: exec into the container, or a plain child in tests). Its stdout and stderr
//   share one pipe, read on the loop (ProbeOutput: first 4 KiB kept).
// - A probe that outlives `timeout` is killed with its descendants (SIGKILL) and
//   counts as a failure ("Health check exceeded timeout (30s)", exit code -1); one
//   that cannot start counts as a failure with the error as its output.
// - The last five results are kept (docker inspect's State.Health.Log).
// - stop() (the container is down) ends the probing. Nothing here waits: exits come
//   through a pidfd watch, timeouts from a timer.
#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "engine/supervisor/health.hpp"
#include "engine/supervisor/pidfd_watch.hpp"
#include "engine/supervisor/probe_output.hpp"
#include "network/uv_timer.hpp"

namespace stack::supervisor {

// A started probe: a child of this process, reaped here through its pidfd.
struct Probe {
  pid_t pid = 0;  // a timeout kills it and its descendants (process_tree.hpp)
  UniqueFd pidfd;
  UniqueFd output;  // the read end of the pipe that is its stdout and stderr
};
using ProbeLauncher = std::function<Result<Probe>()>;

// One entry of the health log.
struct ProbeResult {
  int64_t start_ns = 0, end_ns = 0;
  int exit_code = 0;  // -1: timed out, or could not start
  std::string output;
};
inline constexpr std::size_t kHealthLogMax = 5;

// The command of a healthcheck test: ["CMD", args...] runs args; ["CMD-SHELL", s]
// runs /bin/sh -c s (Docker's default shell). ["NONE"] or an empty test: nullopt.
std::optional<std::vector<std::string>> probe_argv(const std::vector<std::string>& test);

// Go's time.Duration text for whole units ("30s", "200ms", "1m30s"), as in Docker's
// timeout message.
std::string go_duration(int64_t ns);

class HealthRunner {
 public:
  using OnChange = std::function<void(Health status)>;
  static Result<std::unique_ptr<HealthRunner>> create(uv_loop_t* loop, HealthSpec spec, ProbeLauncher launch,
                                                      OnChange on_change);
  // A probe still running is killed and reaped.
  ~HealthRunner();
  HealthRunner(const HealthRunner&) = delete;
  HealthRunner& operator=(const HealthRunner&) = delete;

  // The container started at started_ns: health is "starting" again.
  void start(int64_t started_ns);
  // The container is down: no more probes; one running is killed, its result dropped.
  void stop();
  bool active() const { return tracker_.has_value(); }
  // kStarting until start() and after stop(); see active().
  Health status() const { return tracker_ ? tracker_->status() : Health::kStarting; }
  uint64_t failing_streak() const { return tracker_ ? tracker_->failing_streak() : 0; }
  const std::deque<ProbeResult>& log() const { return log_; }

 private:
  struct Running {
    Probe probe;
    UvOwned<PidfdWatch> watch;
    UvOwned<ProbeOutput> out;
    int64_t start_ns = 0;
    bool timed_out = false;
    bool dropped = false;  // stop() came: reap it, record nothing
  };
  HealthRunner(uv_loop_t* loop, HealthSpec spec, ProbeLauncher launch, OnChange cb)
      : loop_(loop), spec_(spec), launch_(std::move(launch)), on_change_(std::move(cb)) {}
  void schedule();
  void run_probe();
  void on_timeout();
  void on_exit();
  void record(ProbeResult r, bool timed_out);
  void kill_probe();
  void reap_now();

  uv_loop_t* loop_;
  HealthSpec spec_;
  ProbeLauncher launch_;
  OnChange on_change_;
  std::optional<HealthTracker> tracker_;
  std::optional<Running> probe_;
  std::deque<ProbeResult> log_;
  UvOwned<net::UvTimer> next_timer_, timeout_timer_;
};

}  // namespace stack::supervisor
