#pragma once
// The supervisor's `exec` control method (docker compose exec): runs a process in a
// service's running container (engine/runtime/exec.hpp) and answers when it exits.
//
//   params {service, index (1), args [...], env ["K=V"], user, workdir, tty, detach,
//           rows, cols (the pty's initial window size)}
//   fds    without tty: the client's stdin, stdout, stderr; with tty: one end of a unix
//          socket on which the pty master is sent back (SCM_RIGHTS); detach: none
//   result {"exit_code": N} when the process ended (detach: at once, with 0), or
//          {"exit_code": 126|127, "error": "..."} when it could not start.
//
// Processes are watched by pidfd on the loop and reaped there; those still running when
// the supervisor goes are killed and reaped (they live in the container's pid namespace
// and cgroup, so `down` after a crash removes them with the container).
#include <list>
#include <memory>

#include "engine/runtime/exec.hpp"
#include "engine/supervisor/control_server.hpp"
#include "engine/supervisor/pidfd_watch.hpp"

namespace stack::cli {

class ExecSessions {
 public:
  explicit ExecSessions(uv_loop_t* loop) : loop_(loop) {}
  // Takes over a started process; answers resp (if any) with its exit code.
  Result<void> watch(engine::runtime::ExecProcess p, std::optional<supervisor::Responder> resp);
  size_t running() const { return sessions_.size(); }

 private:
  struct Session {
    std::optional<engine::runtime::ExecProcess> process;
    UvOwned<supervisor::PidfdWatch> watch;
    std::optional<supervisor::Responder> resp;
  };
  void exited(std::list<Session>::iterator it);
  uv_loop_t* loop_;
  std::list<Session> sessions_;
};

}  // namespace stack::cli
