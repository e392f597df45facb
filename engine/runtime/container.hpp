#pragma once
// One container: create() prepares everything and clones the child, which waits;
// the caller may then put it in a cgroup and a network; start() lets it run up to
// execve; wait()/stop() end it; remove() undoes what it made. The child is killed and
// reaped if the Container is dropped before it was waited for (style rule 4).
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/runtime/clone_vm.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/rootfs.hpp"
#include "engine/runtime/spec.hpp"
#include "engine/state/journal.hpp"

namespace stack::engine::runtime {

struct LaunchOptions {
  std::string state_root;  // --root: the container lives in <state_root>/containers/<id>
  std::string id;          // [A-Za-z0-9_.-], unique under state_root
};

struct ExitStatus {
  int code = 0;     // exit code, or 128 + signal
  int signal = 0;   // the signal that ended it, 0 if it exited
  bool oom = false; // set by the cgroup part (memory.events oom_kill)
  std::string describe() const;
};
// From waitid(2)'s siginfo: the exit code, or 128 + the signal.
ExitStatus to_exit_status(const siginfo_t& info);

class Container {
 public:
  // Fails with nothing left behind.
  static Result<Container> create(Spec spec, const LaunchOptions& options);

  Container(Container&&) noexcept = default;
  Container& operator=(Container&&) noexcept = delete;
  ~Container();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  const ContainerPaths& paths() const { return paths_; }
  // The spec as launched: the user resolved from the image, HOME added (exec.hpp uses it).
  const Spec& spec() const { return spec_; }
  // With spec.process.terminal, after start(): the pty master (invalid afterwards).
  UniqueFd take_pty_master() { return std::move(pty_master_); }

  // Lets the child mount, pivot, drop privileges and execve. Returns once the command
  // runs; on failure the child is reaped, everything removed, and the error names the
  // step ("mounting proc on /proc in container: Operation not permitted").
  Result<void> start();
  // start() in halves for a caller that must not block (the supervisor's loop):
  // begin_start() lets the child go; then, whenever sync_fd() is readable (the caller
  // may make it non-blocking), continue_start() reads what came: true once the command
  // runs, false while the child is still setting up. A failure cleans up as start()'s.
  Result<void> begin_start();
  Result<bool> continue_start();
  // Before begin_start(): why the child failed, if it failed building its rootfs before go
  // (ChildPlan::build_before_go: it has sent why and exited, and a step of the launcher
  // that needs it alive, such as opening its netns, fails too with less to say). Does
  // not consume the message; nullopt while the child is well or has said nothing.
  std::optional<Error> failed_before_go() const;
  int sync_fd() const { return sync_.get(); }
  // Blocks until the container's PID 1 exits (waitid P_PIDFD).
  Result<ExitStatus> wait();
  // stop_signal, then SIGKILL after grace; then waits.
  Result<ExitStatus> stop(int signal, std::chrono::milliseconds grace);
  Result<void> kill(int signal);
  // After the exit: unmounts and removes everything (kills the child first if needed).
  Result<bool> remove();

 private:
  Container(Spec spec, ContainerPaths paths, state::Journal journal)
      : spec_(std::move(spec)), paths_(std::move(paths)), journal_(std::move(journal)) {}
  Result<void> prepare();
  Result<void> clone_child();
  Error child_error(const struct SyncMessage& m) const;
  Error fail_start(Error e);  // kills, reaps, removes; returns e
  void kill_and_reap() noexcept;

  Spec spec_;
  ContainerPaths paths_;
  state::Journal journal_;
  // The child reads the plan, and with CLONE_VM runs on stack_, until it has exec'd
  // (continue_start) or was reaped: both stay on the heap, put, until then.
  std::unique_ptr<ChildPlan> plan_;
  std::optional<ChildStack> stack_;
  std::vector<UniqueFd> child_fds_;  // namespaces to join, mount sources: until the child runs
  UniqueFd sync_;
  UniqueFd pidfd_;
  UniqueFd pty_master_;
  pid_t pid_ = -1;
  bool used_clone3_ = true;
  bool in_cgroup_ = false;  // the clone put the child into spec_.cgroup_fd's group (CLONE_INTO_CGROUP)
  bool reaped_ = false;
  bool go_sent_ = false;
  bool execing_ = false;
  uint64_t process_record_ = 0;
};

// Runs spec to completion, attached to the caller's stdio (stack run --rm): create,
// start, wait, remove.
Result<ExitStatus> run_to_exit(Spec spec, const LaunchOptions& options);

}  // namespace stack::engine::runtime
