#include "cmd/stack_client.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "cmd/progress.hpp"
#include "cmd/up_common.hpp"
#include "engine/base/file.hpp"
#include "engine/cgroup/path.hpp"
#include "engine/supervisor/state_file.hpp"

namespace stack::cli {

namespace {

bool exists(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0;
}

// Running (not a zombie) and still in the stack's cgroup, so a reused pid is not taken
// for the container (proc(5): stat's state after the command; /proc/PID/cgroup).
bool container_alive(pid_t pid, const std::string& project) {
  if (pid <= 0) return false;
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size() || (*stat)[paren + 2] == 'Z') return false;
  auto cg = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  return cg && cg->find("/" + cgroup::project_path(project) + "/") != std::string::npos;
}

}  // namespace

Result<StackTarget> target_stack(const Globals& g) {
  auto name = project_name(g);
  if (!name) return unexpected(name.error());
  auto layout = stack_layout(g, *name);
  if (!layout) return unexpected(layout.error());
  return StackTarget{*name, *layout};
}

Result<supervisor::ControlClient> connect_stack(const StackTarget& t) {
  auto c = supervisor::ControlClient::connect(t.layout.control_socket());
  if (c) return c;
  if (exists(t.layout.state_file()) || exists(t.layout.journal()))
    return fail("stack " + t.name + ": its supervisor is not running (`ps` shows its last state, `down` cleans up)");
  return fail("no such stack: " + t.name);
}

Result<supervisor::ControlClient> connect_stack(const Globals& g) {
  auto t = target_stack(g);
  if (!t) return unexpected(t.error());
  return connect_stack(*t);
}

Result<nlohmann::json> offline_state(const state::Layout& l) {
  if (!exists(l.state_file())) return fail("no such stack: " + l.project() + " (no supervisor runs for it)");
  auto doc = supervisor::read_state(l.state_file());
  if (!doc) return unexpected(doc.error());
  for (auto& c : (*doc)["containers"]) {
    std::string st = c.value("State", "");
    if (st != "running" && st != "restarting" && st != "paused") continue;
    if (container_alive(c.value("Pid", 0), l.project())) continue;
    c["State"] = "exited";
    c["ExitCode"] = 255;
    c["Pid"] = 0;
  }
  return doc;
}

void warn_supervisor_gone(const std::string& name, const state::Layout& l) {
  std::fprintf(stderr, "stack: the supervisor of %s is not running; showing the state it last wrote (%s)\n",
               name.c_str(), l.state_file().c_str());
}

int run_simple(const Globals& g, const std::string& method, const nlohmann::json& params, const std::string& done) {
  auto c = connect_stack(g);
  if (!c) return report(c.error().message);
  auto r = c->call(method, params);
  if (!r) return report(r.error().message);
  int code = 0;
  for (const auto& e : r->value("containers", nlohmann::json::array())) {
    std::string name = e.value("name", "");
    if (e.contains("error")) {
      progress_failed("Container " + name, e.value("error", ""));
      code = 1;
    } else {
      progress_done("Container " + name, done);
    }
  }
  return code;
}

Runner timed_command(CLI::App* sub, Globals& g, const std::string& method, const std::string& done) {
  struct Flags {
    int timeout = -1;
    std::vector<std::string> services;
  };
  auto f = std::make_shared<Flags>();
  sub->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds (default: each service's grace period)");
  sub->add_option("service", f->services, "Services");
  return [&g, f, method, done] {
    nlohmann::json params{{"services", f->services}};
    if (f->timeout >= 0) params["timeout"] = f->timeout;
    return run_simple(g, method, params, done);
  };
}

Result<void> check_log_drivers(const Globals& g, const std::vector<std::string>& services) {
  auto p = load_project(g);
  if (!p) return {};
  for (const auto& [name, s] : p->services) {
    if (!s.logging || s.logging->driver != "none") continue;
    bool named = std::find(services.begin(), services.end(), name) != services.end();
    std::string why = "service " + name + ": configured logging driver does not support reading";
    if (named || (services.empty() && p->services.size() == 1)) return fail(why);
    if (services.empty()) std::fprintf(stderr, "stack: %s\n", why.c_str());
  }
  return {};
}

}  // namespace stack::cli
