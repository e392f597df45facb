#pragma once
// Runs one container of a service on the loop, the way the supervisor will for each
// replica: makes it (through a factory, so the caller owns the Spec), pumps its
// stdout and stderr into the service's LogFile, sees its exit through a pidfd, and
// restarts it by its RestartTracker after the backoff. stop() never blocks the loop:
// stop_signal now, SIGKILL from a timer when the grace period ends.
//
// Each run is a fresh Container (the runtime has no restart of a stopped container
// yet, see the supervisor issue); the log file is shared by all runs.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/runtime/container.hpp"
#include "engine/supervisor/log_pump.hpp"
#include "engine/supervisor/oom_monitor.hpp"
#include "engine/supervisor/pidfd_watch.hpp"
#include "engine/supervisor/restart_policy.hpp"
#include "network/uv_poll.hpp"
#include "network/uv_timer.hpp"

namespace stack::supervisor {

enum class RunState { kCreated, kRunning, kRestarting, kExited, kDead };
std::string_view to_string(RunState s);

struct RunInfo {
  RunState state = RunState::kCreated;
  pid_t pid = 0;
  int64_t started_ns = 0;
  int64_t finished_ns = 0;  // of the last run
  std::optional<engine::runtime::ExitStatus> last_exit;
  uint64_t restart_count = 0;
  // A process of the current run (or, once it ended, of the last run) was OOM-killed,
  // PID 1 or not: Docker's State.OOMKilled. False again when a run starts.
  bool oom_killed = false;
  std::string error;  // why it is dead, or what failed while cleaning up
};

class ContainerRunner {
 public:
  // A run in two steps: create makes the container (Container::create: rootfs, its
  // files, the clone; the bulk of a start), on a thread of the loop's pool when the run
  // is started without waiting, so that containers started together are made on every
  // core (design invariant 2); then created, if set, finishes it on the loop (the
  // network: veths into the child's namespace) before it is told to go.
  struct Launch {
    std::function<Result<engine::runtime::Container>()> create;
    std::function<Result<void>(engine::runtime::Container&)> created;
  };
  // Called on the loop for each run: prepares a new, not yet started container whose
  // stdio are the given fds (valid until create returned). A null log (logging driver
  // none) sends stdout and stderr to /dev/null.
  using Factory = std::function<Result<Launch>(const engine::runtime::Stdio& stdio)>;
  using OnChange = std::function<void(const RunInfo& info)>;

  static Result<std::unique_ptr<ContainerRunner>> create(uv_loop_t* loop, Factory make, RestartSpec policy,
                                                         std::shared_ptr<LogFile> log, OnChange on_change);
  ~ContainerRunner();
  ContainerRunner(const ContainerRunner&) = delete;
  ContainerRunner& operator=(const ContainerRunner&) = delete;

  // Starts a run (kRunning), or reports why it could not (kDead). A start after a stop
  // is a user's: the restart policy begins anew and RestartCount is 0 again (Docker's
  // ResetRestartManager on start and restart).
  // With wait false the call returns at once: the container is made on the pool, told
  // to go back on the loop, and the loop runs on while it sets up; on_change reports
  // kRunning (or kDead) when it is done.
  void start(bool wait = true);
  // Stops without a restart: signal now, SIGKILL after grace; a pending restart is
  // cancelled. on_change reports kExited when it is down.
  void stop(int signal, std::chrono::milliseconds grace);
  // Sends a signal to PID 1 (`kill`). fatal (SIGKILL, the stop signal): the exit that
  // follows is a user's stop, not restarted by the policy (docker kill's rule).
  Result<void> kill(int signal, bool fatal);
  const RunInfo& info() const { return info_; }
  // Called with each run's exit status before it is reported and the restart policy
  // decides: the cgroup part sets status.oom there. An OOM kill also gets a line in
  // the container's log (stderr).
  void classify_exit(std::function<void(engine::runtime::ExitStatus&)> f) { classify_ = std::move(f); }
  // Watches each run's cgroup for OOM kills while it runs (OomMonitor): each new kill
  // sets info().oom_killed, writes a stderr line to the log and calls on_oom (also for
  // a kill first counted when the run ends). Set before start().
  void watch_oom(OomSource src, std::function<void()> on_oom) {
    oom_source_ = std::move(src);
    on_oom_ = std::move(on_oom);
  }
  // The container of the current run while its command runs (kRunning, not yet seen
  // exiting), else null: what `exec` and healthchecks enter (engine/runtime/exec.hpp).
  const engine::runtime::Container* current() const;

 private:
  ContainerRunner(uv_loop_t* loop, Factory make, RestartSpec policy, std::shared_ptr<LogFile> log, OnChange cb)
      : loop_(loop), make_(std::move(make)), policy_(policy), log_(std::move(log)), on_change_(std::move(cb)) {}
  void launch(bool wait);
  void run_started();
  Result<void> watch_start();
  void continue_launch();
  void abandon_start(std::string error);
 public:
  // The run's container is being made or its child sets up (start(false) returned,
  // kRunning not reported yet).
  bool starting() const { return starting_ != nullptr || creation_ != nullptr; }
 private:
  Result<void> pump(UniqueFd out_r, UniqueFd err_r);
  void exited();
  void maybe_finish();
  void finish_run();
  void set(RunState s, std::string error = {});
  // A run that is not restarted: its container is removed on the loop's thread pool
  // (umount, its directories, its journal: ~4 ms each, which serialized a down of many
  // containers on the loop); kExited is reported once that is done.
  void remove_then_exit();
  struct Removal;
  std::shared_ptr<Removal> removal_;  // in flight
  // A run's container being made on the pool (start(false)); the runner's destructor
  // waits for it and removes what it made.
  struct Creation;
  std::shared_ptr<Creation> creation_;
  // After cr ran (on the pool or here): the run is dead, or its container is told go.
  void made(Creation& cr, bool wait);
  std::optional<bool> start_after_removal_;  // a start() that came meanwhile (its wait)
  std::string watch_oom_of_run();
  void oom_kills(uint64_t n);

  uv_loop_t* loop_;
  Factory make_;
  RestartTracker policy_;
  std::shared_ptr<LogFile> log_;
  OnChange on_change_;
  std::function<void(engine::runtime::ExitStatus&)> classify_;
  RunInfo info_;
  std::optional<engine::runtime::Container> container_;
  UvOwned<LogPump> out_, err_;
  UvOwned<PidfdWatch> watch_;
  UvOwned<net::UvPoll> starting_;  // the sync socket while the run's child sets up
  UniqueFd out_r_, err_r_;         // the log pipes' read ends until it runs
  std::optional<std::pair<int, std::chrono::milliseconds>> pending_stop_;
  UvOwned<net::UvTimer> restart_timer_, kill_timer_;
  UvOwned<LogFlusher> flusher_;  // writes what each loop iteration read
  std::optional<OomSource> oom_source_;
  std::function<void()> on_oom_;
  std::unique_ptr<OomMonitor> oom_;  // while a run's command runs
  int eofs_ = 0;
  bool stop_requested_ = false;
  std::optional<engine::runtime::ExitStatus> status_;
};

}  // namespace stack::supervisor
