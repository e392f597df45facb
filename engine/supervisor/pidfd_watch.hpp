#pragma once
// Watches a process for its exit on the loop: a uv_poll_t on a pidfd, which becomes
// readable when the process has exited (pidfd_open(2): "the file descriptor becomes
// readable when the process terminates"). Nothing is reaped here: the owner reaps in
// the callback, where reaping no longer blocks, with Container::wait() for a
// container (the runtime keeps its own reaped state and journal record), or with
// reap_pidfd() for a plain child. Never waitpid(-1) (style.md rule 9).
//
// The watch holds its own duplicate of the pidfd, so it may outlive or predate the
// owner of the original without polling a closed fd.
#include <sys/types.h>

#include <functional>
#include <optional>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::supervisor {

struct ProcessExit {
  int code = 0;    // exit code, or 128 + signal (the shell's and Docker's convention)
  int signal = 0;  // the signal that killed it, 0 if it exited
};

// waitid(P_PIDFD, fd, WEXITED | WNOHANG): the exit if the process has ended and was
// not reaped yet, nullopt if it still runs.
Result<std::optional<ProcessExit>> reap_pidfd(int pidfd);

// pidfd_open(2) with O_CLOEXEC semantics (pidfds are always close-on-exec).
Result<UniqueFd> open_pidfd(pid_t pid);

class PidfdWatch final : public UvHandle<uv_poll_t> {
 public:
  // Fires once, when the process has exited; the watch then stops polling.
  static Result<UvOwned<PidfdWatch>> create(uv_loop_t* loop, int pidfd, std::function<void()> on_exit);
  bool fired() const { return fired_; }

 private:
  explicit PidfdWatch(std::function<void()> cb) : on_exit_(std::move(cb)) {}
  ~PidfdWatch() override = default;  // after the close callback: closes fd_
  void on_close() noexcept override { uv_poll_stop(raw()); }
  static void on_poll(uv_poll_t* h, int status, int events);

  UniqueFd fd_;
  std::function<void()> on_exit_;
  bool fired_ = false;
};

}  // namespace stack::supervisor
