#include "engine/supervisor/pidfd_watch.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#ifndef P_PIDFD
#define P_PIDFD 3  // waitid(2), Linux 5.4
#endif

namespace stack::supervisor {

Result<std::optional<ProcessExit>> reap_pidfd(int pidfd) {
  siginfo_t info{};
  int rc;
  do rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return fail_errno("failed to reap the process of pidfd " + std::to_string(pidfd) + " (waitid)");
  if (info.si_pid == 0) return std::optional<ProcessExit>{};  // still running
  ProcessExit e;
  if (info.si_code == CLD_EXITED) {
    e.code = info.si_status;
  } else {  // CLD_KILLED, CLD_DUMPED
    e.signal = info.si_status;
    e.code = 128 + info.si_status;
  }
  return std::optional<ProcessExit>{e};
}

Result<UniqueFd> open_pidfd(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return fail_errno("failed to open a pidfd for process " + std::to_string(pid) + " (pidfd_open)");
  return UniqueFd(fd);
}

Result<UvOwned<PidfdWatch>> PidfdWatch::create(uv_loop_t* loop, int pidfd, std::function<void()> on_exit) {
  UvOwned<PidfdWatch> w(new PidfdWatch(std::move(on_exit)));
  w->fd_.reset(::fcntl(pidfd, F_DUPFD_CLOEXEC, 3));
  if (!w->fd_) return fail_errno("failed to duplicate pidfd " + std::to_string(pidfd));
  STACK_TRY(w->init_result(uv_poll_init(loop, w->raw(), w->fd_.get()), "failed to watch a pidfd"));
  int rc = uv_poll_start(w->raw(), UV_READABLE, &PidfdWatch::on_poll);
  if (rc < 0) return fail_uv(rc, "failed to watch a pidfd");
  return w;
}

void PidfdWatch::on_poll(uv_poll_t* h, int, int) {
  // An error status on a pidfd cannot mean "still running": report the exit either
  // way and let the owner's reap say what happened.
  auto* self = owner<PidfdWatch>(h);
  if (self->closing() || self->fired_) return;
  self->fired_ = true;
  uv_poll_stop(h);
  if (self->on_exit_) self->on_exit_();
}

}  // namespace stack::supervisor
