#include "cmd/run_network.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cmd/up_apply.hpp"
#include "cmd/up_common.hpp"
#include "cmd/up_net_plan.hpp"
#include "cmd/up_netmode.hpp"
#include "cmd/up_spawn.hpp"
#include "engine/supervisor/pidfd_watch.hpp"
#include "network/netns.hpp"

namespace stack::cli {

namespace sv = supervisor;

namespace {

constexpr std::chrono::seconds kStartTimeout{120};  // up's --wait-timeout default

// The services the run needs running: its depends_on and a network_mode service:.
std::vector<std::string> dependencies(const model::Service& s) {
  std::vector<std::string> out;
  for (const auto& [name, how] : s.depends_on) out.push_back(name);
  if (s.network_mode.rfind("service:", 0) == 0 && !s.depends_on.count(s.network_mode.substr(8)))
    out.push_back(s.network_mode.substr(8));
  return out;
}

// `up -d` of the dependencies. Its progress lines go to stderr, as compose's do: stdout
// is the command's.
Result<void> start_dependencies(sv::ControlClient& c, const Globals& g, const std::vector<std::string>& deps) {
  std::fflush(stdout);
  UniqueFd out(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
  if (!out || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) return fail_errno("sending the progress lines to stderr");
  auto started = [&]() -> Result<void> {
    ApplyOptions o;
    o.services = deps;
    auto start = apply_project(c, g, o, kStartTimeout);
    if (!start) return unexpected(start.error());
    auto waited = c.call("wait", nlohmann::json::object(), {}, nullptr, kStartTimeout);
    if (!waited) return unexpected(waited.error());
    if (print_started(*waited, *start) != 0) return fail("a dependency could not be started");
    return {};
  }();
  std::fflush(stdout);
  ::dup2(out.get(), STDOUT_FILENO);
  return started;
}

// The pid of the service's first running container, from the supervisor; 0: none.
pid_t running_pid(sv::ControlClient& c, const std::string& service) {
  auto ps = c.call("ps", nlohmann::json::object());
  if (!ps) return 0;
  for (const auto& e : ps->value("containers", nlohmann::json::array()))
    if (e.value("Service", "") == service && e.value("State", "") == "running") return e.value("Pid", 0);
  return 0;
}

}  // namespace

Result<RunNetwork> RunNetwork::prepare(const Globals& g, const model::Project& p, const model::Service& s,
                                       const std::string& container, engine::runtime::Spec& spec,
                                       RunNetworkOptions o) {
  RunNetwork rn;
  auto deps = o.deps ? dependencies(s) : std::vector<std::string>{};
  auto plan = plan_networks(p);
  if (!plan) return unexpected(plan.error());
  bool member = s.network_mode.empty() && plan->services.count(s.name);
  bool shared = s.network_mode.rfind("service:", 0) == 0;
  if (deps.empty() && !member && !shared) {
    STACK_TRY(network_spec(spec, s, container, {}));  // none, host: no stack needed
    return rn;
  }
  auto layout = stack_layout(g, p.name);
  if (!layout) return unexpected(layout.error());
  auto client = connect_or_start(g, p, *layout, kStartTimeout);
  if (!client) return unexpected(client.error());
  if (!deps.empty()) STACK_TRY(start_dependencies(*client, g, deps));
  if (shared) {
    pid_t pid = running_pid(*client, s.network_mode.substr(8));
    NetworkContext ctx{nullptr, g.root, [pid](const std::string&) { return pid; }, nullptr};
    STACK_TRY(network_spec(spec, s, container, ctx));
  } else if (member) {
    // The supervisor computes the /etc files from this base and writes them at join().
    spec.domainname = s.domainname;
    rn.params_ = {{"service", s.name},   {"container", container}, {"root", std::filesystem::absolute(g.root).string()},
                  {"hostname", spec.hostname}, {"hosts", spec.etc.hosts},  {"aliases", o.use_aliases}};
    rn.client_.emplace(std::move(*client));
  } else {
    STACK_TRY(network_spec(spec, s, container, {}));
  }
  return rn;
}

Result<void> RunNetwork::join(const engine::runtime::Container& c) {
  if (!client_) return {};
  auto ns = net::Netns::of_pid(c.pid());
  if (!ns) return unexpected(ns.error());
  // A pidfd of its own for the supervisor, not a copy of c.pidfd(): a copy would share
  // the open file description, and the supervisor's poll sets O_NONBLOCK on it, so this
  // process's blocking waitid (Container::wait) would return EAGAIN when the exit is
  // not yet reapable (seen under strace -f). The child is not reaped before wait(), so
  // its pid still names it here.
  auto pidfd = sv::open_pidfd(c.pid());
  if (!pidfd) return unexpected(pidfd.error());
  auto r = client_->call("run_join", params_, {pidfd->get(), ns->fd()}, nullptr, kStartTimeout);
  if (!r) return unexpected(r.error());
  client_.reset();  // the supervisor watches the container's pidfd from here on
  return {};
}

}  // namespace stack::cli
