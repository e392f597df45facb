// `stack exec [-d] [-T] [-u U] [-w D] [-e K=V]... [--index N] SERVICE CMD...`: runs a
// command in a service's running container through its supervisor (docker compose
// exec). Exit code: the command's; 126 it could not be executed, 127 not found; 1 when
// there is no such service or stack, or the service does not run.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cmd/exec_tty.hpp"
#include "cmd/registry.hpp"
#include "cmd/up_common.hpp"
#include "engine/base/fd_passing.hpp"
#include "engine/supervisor/control_client.hpp"

namespace {

namespace sv = stack::supervisor;

struct ExecFlags {
  std::string service;
  std::vector<std::string> command, env;
  std::string user, workdir;
  bool detach = false, no_tty = false;
  uint64_t index = 1;
};

// The reply's exit code, with the error line when the command could not start.
int finish(const stack::Result<nlohmann::json>& r) {
  if (!r) return stack::cli::report(r.error().message);
  if (r->contains("error") && r->at("error").is_string()) stack::cli::report(r->at("error").get<std::string>());
  return r->value("exit_code", 1);
}

// A raw control message's final body as call() would return it.
stack::Result<nlohmann::json> final_result(const stack::Result<nlohmann::json>& body) {
  if (!body) return stack::unexpected(body.error());
  if (body->contains("error")) {
    const auto& e = body->at("error");
    return stack::unexpected(stack::Error{e.value("code", 0), e.value("message", std::string("exec failed"))});
  }
  return body->value("result", nlohmann::json::object());
}

// One datagram carrying the pty master (supervisor_exec.hpp).
stack::Result<stack::UniqueFd> receive_master(int fd) {
  char byte;
  int master = -1;
  if (stack::recv_with_fd(fd, &byte, 1, &master) < 0) return stack::fail_errno("receiving the pty master");
  if (master < 0) return stack::fail("the supervisor sent no pty master");
  return stack::UniqueFd(master);
}

// Waits for either the pty master or the final reply (a failed start answers at once).
int exec_tty(sv::ControlClient& c, const nlohmann::json& params) {
  int sp[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
    return stack::cli::report(std::string("socketpair: ") + std::strerror(errno));
  stack::UniqueFd mine(sp[0]), theirs(sp[1]);
  if (auto s = c.send_line(sv::encode_request(1, "exec", params), {theirs.get()}); !s)
    return stack::cli::report(s.error().message);
  theirs.reset();
  pollfd p[2] = {{mine.get(), POLLIN, 0}, {c.fd(), POLLIN, 0}};
  while (::poll(p, 2, -1) < 0)
    if (errno != EINTR) return stack::cli::report(std::string("poll: ") + std::strerror(errno));
  if (!(p[0].revents & POLLIN)) {
    auto m = c.receive();
    return finish(final_result(m ? stack::Result<nlohmann::json>(m->body) : stack::unexpected(m.error())));
  }
  auto master = receive_master(mine.get());
  if (!master) return stack::cli::report(master.error().message);
  return finish(final_result(stack::cli::relay_tty(c, std::move(*master))));
}

int exec(const stack::cli::Globals& g, ExecFlags& f) {
  if (f.command.empty()) return stack::cli::report("exec: a command is required after the service");
  auto name = stack::cli::project_name(g);
  if (!name) return stack::cli::report(name.error().message);
  auto layout = stack::cli::stack_layout(g, *name);
  if (!layout) return stack::cli::report(layout.error().message);
  auto c = sv::ControlClient::connect(layout->control_socket());
  if (!c) return stack::cli::report("no such stack: " + *name + " (no supervisor runs for it)");
  std::vector<std::string> env;
  for (const auto& e : f.env)
    if (e.find('=') != std::string::npos) env.push_back(e);
    else if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
  bool tty = !f.detach && !f.no_tty && ::isatty(STDIN_FILENO);
  nlohmann::json params{{"service", f.service}, {"index", f.index},   {"args", f.command}, {"env", env},
                        {"user", f.user},       {"workdir", f.workdir}, {"tty", tty},      {"detach", f.detach}};
  // The size goes with the request: the process may ask for it before we relay.
  if (winsize ws{}; tty && ::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) params["rows"] = ws.ws_row, params["cols"] = ws.ws_col;
  if (tty) return exec_tty(*c, params);
  std::vector<int> fds;
  if (!f.detach) fds = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  auto r = c->call("exec", params, fds);
  return finish(r);
}

stack::cli::Registrar reg("exec", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<ExecFlags>();
  auto* sub = app.add_subcommand("exec", "Execute a command in a running container");
  sub->add_option("service", f->service, "Service")->required();
  sub->add_flag("-d,--detach", f->detach, "Detached mode: run the command in the background");
  sub->add_flag("-T,--no-TTY", f->no_tty, "Disable pseudo-TTY allocation (a TTY is the default on a terminal)");
  sub->add_option("-u,--user", f->user, "Run the command as this user (name or uid[:gid])");
  sub->add_option("-w,--workdir", f->workdir, "Path to the working directory for this command");
  sub->add_option("-e,--env", f->env, "Set environment variables (K=V, or K to take it from here)")
      ->allow_extra_args(false);
  sub->add_option("--index", f->index, "Index of the container if the service has several replicas")
      ->capture_default_str();
  // Everything after SERVICE is the command, its flags included (`exec web ls -l`).
  sub->prefix_command();
  return [&g, f, sub] {
    f->command = sub->remaining();
    if (!f->command.empty() && f->command.front() == "--") f->command.erase(f->command.begin());
    return exec(g, *f);
  };
});

}  // namespace
