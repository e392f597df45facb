// `stack run [--rm] SERVICE [CMD...]`: compose's one-off run. The service's command runs
// as PID 1 of a fresh container, attached to this terminal's stdio; the exit code is the
// command's. Signals sent to `stack run` (Ctrl-C, kill) are passed on to the container.
// Its dependencies are started first and it joins its service's networks through the
// stack's supervisor (run_network.hpp).
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "cmd/exec_tty.hpp"
#include "cmd/limit_enforcement.hpp"
#include "cmd/one_off.hpp"
#include "cmd/registry.hpp"
#include "cmd/run_cgroup.hpp"
#include "cmd/run_network.hpp"
#include "cmd/run_oom.hpp"
#include "cmd/run_spec.hpp"
#include "cmd/up_common.hpp"
#include "engine/model/load.hpp"
#include "engine/model/units.hpp"
#include "engine/runtime/cleanup.hpp"
#include "engine/runtime/container.hpp"
#include "engine/runtime/userns_pool.hpp"


namespace {

namespace rt = stack::engine::runtime;

struct RunFlags {
  std::string service;
  std::vector<std::string> command;
  std::vector<std::string> env;
  std::string user, workdir, entrypoint;
  bool entrypoint_set = false;
  bool rm = false;
  bool no_deps = false, use_aliases = false;
  bool no_tty = false, tty = false, interactive = true;
};

// compose's one-off name, <project>-<service>-run-<12 hex>; the hex is its hostname
// (Docker's default hostname is the container id's first 12 characters).
std::pair<std::string, std::string> run_id(const std::string& project, const std::string& service) {
  std::random_device rd;
  char hex[13];
  std::snprintf(hex, sizeof hex, "%06x%06x", rd() & 0xffffff, rd() & 0xffffff);
  return {project + "-" + service + "-run-" + hex, hex};
}

// Waits for the container, passing SIGINT/SIGTERM/SIGHUP/SIGQUIT on to it. A PID 1
// without handlers ignores them (pid_namespaces(7)), so a second one kills it. With a
// pty, this terminal is relayed to it meanwhile (Ctrl-C is then a byte the pty's line
// discipline turns into SIGINT for the container's foreground process group).
stack::Result<rt::ExitStatus> supervise(rt::Container& c, int sigfd, stack::cli::RunOomWatch& oom) {
  int forwarded = 0;
  auto forward = [&]() -> stack::Result<bool> {
    signalfd_siginfo si{};
    if (::read(sigfd, &si, sizeof si) == sizeof si)
      (void)c.kill(++forwarded > 1 ? SIGKILL : static_cast<int>(si.ssi_signo));
    return false;
  };
  if (stack::UniqueFd master = c.take_pty_master()) {
    auto exited = []() -> stack::Result<bool> { return true; };
    auto oom_woken = [&oom]() -> stack::Result<bool> {
      oom.woken();
      return false;
    };
    std::vector<stack::cli::RelayWatch> watches{{c.pidfd(), exited}, {sigfd, forward}};
    if (oom.fd() >= 0) watches.push_back({oom.fd(), oom_woken});
    oom.raw_terminal(::isatty(STDIN_FILENO));  // relay_pty puts a terminal in raw mode
    STACK_TRY(stack::cli::relay_pty(std::move(master), watches));
    return c.wait();
  }
  for (;;) {
    pollfd fds[3] = {{c.pidfd(), POLLIN, 0}, {sigfd, POLLIN, 0}, {oom.fd(), POLLIN, 0}};  // fd -1: ignored
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return stack::fail_errno("poll");
    }
    if (fds[0].revents) return c.wait();
    if (fds[2].revents) oom.woken();
    if (fds[1].revents) (void)forward();
  }
}

// compose run: a pty when stdin is a terminal, unless -T; -t asks for one regardless
// (as docker run -t). Its size is the terminal's; TERM=xterm unless set (Docker's).
void use_pty(rt::Spec& spec) {
  spec.process.terminal = true;
  winsize ws{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
    spec.process.console_rows = ws.ws_row;
    spec.process.console_cols = ws.ws_col;
  }
  for (const auto& e : spec.process.env)
    if (e.rfind("TERM=", 0) == 0) return;
  spec.process.env.push_back("TERM=xterm");
}

int exit_code_for(const stack::Error& e) {
  if (e.message.rfind("exec: no such file", 0) == 0) return 127;
  if (e.message.rfind("exec: permission denied", 0) == 0) return 126;
  return 1;
}

// The container in its cgroup, attached, until it exits; then nothing of it is left.
int run_container(const stack::model::Service& service, stack::cli::ServiceSpec spec, stack::cli::RunNetwork& net,
                  const std::string& project, const std::string& id, const std::string& root,
                  const std::string& cgroup_parent, int sigfd) {
  auto limits = stack::cli::service_limits(service);
  if (!limits) return stack::cli::report(limits.error().message);
  auto enforcement = stack::cli::enforcement_of(service, false);
  if (!enforcement) return stack::cli::report(enforcement.error().message);
  auto parent = stack::cli::service_cgroup_parent(service, cgroup_parent);
  if (!parent) return stack::cli::report(parent.error().message);
  auto place = stack::cli::RunCgroup::locate(project, id.substr(project.size() + 1), *parent);
  if (!place) return stack::cli::report("service " + service.name + ": " + place.error().message);
  // The mark first: down finds (and removes) whatever of the run a SIGKILL leaves from here on.
  if (auto marked = stack::cli::mark_one_off(root, id, project, *place); !marked)
    return stack::cli::report(marked.error().message);
  auto cg = stack::cli::RunCgroup::make(*place, *limits, *enforcement);
  if (!cg) {
    stack::cli::unmark_one_off(root, id);
    return stack::cli::report("service " + service.name + ": " + cg.error().message);
  }
  for (const auto& w : cg->warnings()) std::fprintf(stderr, "stack: warning: service %s: %s\n", service.name.c_str(), w.c_str());
  spec.spec.cgroup_fd = cg->clone_fd();
  spec.spec.cgroup_join = cg->join_files();  // v1/hybrid: it joins the v1 groups itself
  int code = 1;
  bool removed_all = true;
  {
    auto c = rt::Container::create(std::move(spec.spec), {root, id});
    stack::Result<void> started = c ? stack::Result<void>() : stack::unexpected(c.error());
    if (started && c) started = net.join(*c);  // its veths before the command runs
    if (!started && c)
      if (auto early = c->failed_before_go()) started = stack::unexpected(*early);  // the child's own reason
    if (started && c) started = c->start();
    if (!started) {
      stack::cli::report(started.error().message);
      code = exit_code_for(started.error());
    } else {
      stack::cli::RunOomWatch oom(*cg, service.name);
      auto status = supervise(*c, sigfd, oom);
      if (!status) {
        code = stack::cli::report(status.error().message);
      } else {
        code = status->code;
        status->oom = status->signal == SIGKILL && cg->oom_killed();
        if (status->oom) std::fprintf(stderr, "stack: %s: %s\n", service.name.c_str(), status->describe().c_str());
      }
    }
    if (c) {
      if (auto removed = c->remove(); !removed) {
        code = stack::cli::report(removed.error().message);
        removed_all = false;
      }
    }
  }
  if (auto removed = cg->remove(); !removed) {
    code = stack::cli::report(removed.error().message);
    removed_all = false;
  }
  if (removed_all) stack::cli::unmark_one_off(root, id);  // else down tries again
  for (const auto& dir : spec.anonymous_volumes) (void)rt::remove_tree(dir);
  return code;
}

int run(const stack::cli::Globals& g, const RunFlags& f) {
  auto project = stack::cli::load_project(g);
  if (!project) return stack::cli::report(project.error().message);
  const auto* service = project->service(f.service);
  if (!service) return stack::cli::report("no such service: " + f.service);
  auto store = stack::image::ImageStore::open(g.root);
  if (!store) return stack::cli::report(store.error().message);
  auto image = store->resolve(service->image);
  if (!image) return stack::cli::report("service " + f.service + ": " + image.error().message);

  stack::cli::RunOverrides ov{f.command, std::nullopt, {}, f.user, f.workdir};
  if (f.entrypoint_set) {
    auto words = stack::model::shell_split(f.entrypoint);
    if (!words) return stack::cli::report("--entrypoint: " + words.error().message);
    ov.entrypoint = *words;
  }
  for (const auto& e : f.env) {
    if (e.find('=') != std::string::npos) ov.env.push_back(e);
    else if (const char* v = std::getenv(e.c_str())) ov.env.push_back(e + "=" + v);
  }
  auto [id, hex] = run_id(project->name, f.service);
  ov.hostname = hex;
  // userns_mode auto: the range leased to this run is given back once it is gone.
  struct Release {
    std::string dir, id;
    ~Release() {
      if (auto r = rt::release_userns_range(dir, id); !r) stack::cli::report(r.error().message);
    }
  };
  std::optional<Release> release;
  if (service->userns_size) release.emplace(Release{rt::UsernsPool::dir_of(g.root), id});
  auto spec = stack::cli::service_spec(*project, *service, *image, ov, g.root, id);
  if (!spec) return stack::cli::report(spec.error().message);
  if (f.tty || (!f.no_tty && ::isatty(STDIN_FILENO))) use_pty(spec->spec);
  auto net = stack::cli::RunNetwork::prepare(g, *project, *service, id, spec->spec, {!f.no_deps, f.use_aliases});
  if (!net) return stack::cli::report(net.error().message);

  // Signals arrive through a signalfd and are passed on; the child unblocks them.
  sigset_t set, old;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, s);
  ::sigprocmask(SIG_BLOCK, &set, &old);
  stack::UniqueFd sigfd(::signalfd(-1, &set, SFD_CLOEXEC));

  int code =
      run_container(*service, std::move(*spec), *net, project->name, id, g.root, g.cgroup_parent, sigfd.get());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return code;
}

stack::cli::Registrar reg("run", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<RunFlags>();
  auto* sub = app.add_subcommand("run", "Run a one-off command in a new container of a service");
  sub->add_option("service", f->service, "Service")->required();
  sub->add_option("-e,--env", f->env, "Set an environment variable (K=V, or K to take it from here)")
      ->allow_extra_args(false);
  sub->add_option("-u,--user", f->user, "Run as this user (name or uid[:gid])");
  sub->add_option("-w,--workdir", f->workdir, "Working directory inside the container");
  sub->add_option("--entrypoint", f->entrypoint, "Override the entrypoint")
      ->each([f](const std::string&) { f->entrypoint_set = true; });
  sub->add_flag("--no-deps", f->no_deps, "Don't start the service's dependencies (depends_on, network_mode service:)");
  sub->add_flag("--use-aliases", f->use_aliases,
                "Be known on the service's networks by its name and aliases too, not only by the container's name");
  sub->add_flag("--rm", f->rm, "Remove the container when it exits (always done: a run leaves nothing)");
  auto* no_tty =
      sub->add_flag("-T,--no-TTY", f->no_tty, "Disable pseudo-TTY allocation (a TTY is the default on a terminal)");
  sub->add_flag("-t,--tty", f->tty, "Allocate a pseudo-TTY even when stdin is not a terminal")->excludes(no_tty);
  sub->add_flag("-i,--interactive", f->interactive, "Keep STDIN attached (the default; accepted as compose does)");
  // Everything after SERVICE is the command, its flags included (`run web ls -l`).
  sub->prefix_command();
  sub->footer("COMMAND [ARGS...] after SERVICE replaces the service's command.");
  return [&g, f, sub] {
    f->command = sub->remaining();
    // `run -e K=V -- SERVICE CMD`: CLI11 hands the "--" on with the command; compose reads
    // it as the end of the flags.
    if (!f->command.empty() && f->command.front() == "--") f->command.erase(f->command.begin());
    return run(g, *f);
  };
});

}  // namespace
