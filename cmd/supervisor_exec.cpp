// StackSupervisor::exec and the sessions it starts (supervisor_exec.hpp).
#include "cmd/supervisor_exec.hpp"

#include <fcntl.h>

#include "cmd/supervisor_stack.hpp"
#include "cmd/up_common.hpp"
#include "engine/base/fd_passing.hpp"
#include "engine/supervisor/exec_target.hpp"

namespace stack::cli {

namespace rt = engine::runtime;
namespace sv = supervisor;

Result<void> ExecSessions::watch(rt::ExecProcess p, std::optional<sv::Responder> resp) {
  sessions_.push_back(Session{});
  auto it = std::prev(sessions_.end());
  it->process.emplace(std::move(p));
  it->resp = std::move(resp);
  auto w = sv::PidfdWatch::create(loop_, it->process->pidfd(), [this, it] { exited(it); });
  if (!w) {
    sessions_.erase(it);  // kills and reaps
    return unexpected(w.error());
  }
  it->watch = std::move(*w);
  return {};
}

void ExecSessions::exited(std::list<Session>::iterator it) {
  auto st = it->process->try_wait();
  if (it->resp && st && *st) it->resp->reply({{"exit_code", (*st)->code}});
  else if (it->resp) it->resp->fail(st ? Error{0, "exec: the process vanished"} : st.error());
  sessions_.erase(it);  // the watch fired last in its callback: closing it here is safe
}

namespace {

// The pty master goes back on the socket the client passed (the control server only
// writes lines): one datagram with the fd, on a fresh socket, so it does not block.
Result<void> send_master(int channel, int master) {
  char byte = 'm';
  if (send_with_fd(channel, &byte, 1, master) != 1) return fail_errno("sending the pty master");
  return {};
}

Result<rt::ExecOptions> exec_options(const nlohmann::json& p, std::vector<UniqueFd>& fds, UniqueFd& null) {
  rt::ExecOptions o;
  o.args = p.value("args", std::vector<std::string>{});
  o.env = p.value("env", std::vector<std::string>{});
  o.user = p.value("user", "");
  o.workdir = p.value("workdir", "");
  o.tty = p.value("tty", false) && !p.value("detach", false);
  o.rows = p.value("rows", static_cast<unsigned short>(0));
  o.cols = p.value("cols", static_cast<unsigned short>(0));
  if (o.args.empty()) return fail("exec needs a command");
  if (p.value("detach", false)) {
    null.reset(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) return fail_errno("opening /dev/null");
    o.stdio = {null.get(), null.get(), null.get()};
  } else if (o.tty) {
    if (fds.size() != 1) return fail("exec with a tty wants one socket for the pty master");
  } else {
    if (fds.size() != 3) return fail("exec wants the client's stdin, stdout and stderr");
    o.stdio = {fds[0].get(), fds[1].get(), fds[2].get()};
  }
  return o;
}

}  // namespace

void StackSupervisor::exec(sv::Request&& r, sv::Responder resp) {
  std::string service = r.params.value("service", "");
  if (!project_.services.count(service)) return resp.fail(Error{ENOENT, "no such service: " + service});
  std::string name = container_name(project_.name, service, r.params.value("index", uint64_t{1}));
  Replica* rep = nullptr;
  for (const auto& x : replicas_)
    if (x->name == name) rep = x.get();
  const rt::Container* c = rep && rep->runner ? rep->runner->current() : nullptr;
  if (!c) return resp.fail(Error{ESRCH, "service \"" + service + "\" is not running (container " + name + ")"});
  UniqueFd null;
  auto options = exec_options(r.params, r.fds, null);
  if (!options) return resp.fail(options.error());
  auto target = rep->cgroup ? sv::exec_target(*c, rep->cgroup->clone_fd(), rep->cgroup->join_files(), name)
                            : sv::exec_target(*c, -1, {}, name);
  if (!target) return resp.fail(target.error());
  auto p = rt::exec_in(*target, *options);
  if (!p) return resp.reply({{"exit_code", rt::exec_exit_code(p.error())}, {"error", p.error().message}});
  if (options->tty)
    if (auto sent = send_master(r.fds[0].get(), p->take_pty_master().get()); !sent) return resp.fail(sent.error());
  bool detach = r.params.value("detach", false);
  if (detach) resp.reply({{"exit_code", 0}});
  if (!execs_) execs_ = std::make_unique<ExecSessions>(loop_);
  if (auto w = execs_->watch(std::move(*p), detach ? std::nullopt : std::optional(resp)); !w && !detach)
    resp.fail(w.error());
}

}  // namespace stack::cli
