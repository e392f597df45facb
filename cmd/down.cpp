// `stack down [-v] [-t S] [--force]`: the supervisor stops the stack in reverse dependency order
// and undoes everything from the journal, then exits. When no supervisor answers
// (killed, crashed), the journal is replayed here: processes killed, mounts undone,
// dirs, cgroups removed, so that nothing is left either way (design.md invariant 1).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "cmd/one_off.hpp"
#include "cmd/progress.hpp"
#include "cmd/registry.hpp"
#include "cmd/up_common.hpp"
#include "cmd/up_spawn.hpp"
#include "cmd/up_teardown.hpp"
#include "engine/base/file.hpp"
#include "engine/runtime/cleanup.hpp"
#include "engine/state/lock.hpp"
#include "engine/supervisor/control_client.hpp"

namespace {

namespace sv = stack::supervisor;

struct DownFlags {
  bool volumes = false, force = false;
  int timeout = -1;
};

bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

// Through the supervisor; the names of what it removed are printed as compose does.
stack::Result<void> down_via_supervisor(sv::ControlClient& c, const stack::state::Layout& l, int timeout) {
  pid_t pid = stack::cli::read_pid(l.supervisor_pid());
  auto ps = c.call("ps", {{"all", true}});
  nlohmann::json params = nlohmann::json::object();
  if (timeout >= 0) params["timeout"] = timeout;
  auto r = c.call("down", params);
  if (!r) return stack::unexpected(r.error());
  stack::cli::wait_gone(pid);
  if (ps)
    for (const auto& e : ps->at("containers")) stack::cli::progress_done("Container " + e.value("Name", ""), "Removed");
  return {};
}

// The supervisor is gone: the journal is the truth.
stack::Result<void> down_from_journal(const stack::state::Layout& l) {
  auto lock = stack::state::LockFile::acquire(l.lock(), std::chrono::seconds(10));
  if (!lock) return stack::unexpected(lock.error());
  if (pid_t pid = stack::cli::read_pid(l.supervisor_pid()); pid > 0 && lock->stale_pid() == 0 && ::kill(pid, 0) == 0)
    std::fprintf(stderr, "stack: supervisor pid %d does not answer; cleaning from the journal\n", pid);
  STACK_TRY(stack::cli::replay_stack_journal(l));
  STACK_TRY(stack::cli::remove_stack_logs(l));
  // state.json, and the temp file of a write the supervisor died in (file.hpp's name).
  std::string state_tmp = l.state_file() + ".tmp." + std::to_string(stack::cli::read_pid(l.supervisor_pid()));
  for (const auto& f :
       {l.state_file(), state_tmp, l.control_socket(), l.supervisor_pid(), stack::cli::supervisor_log(l), l.lock()})
    ::unlink(f.c_str());
  lock->release();
  ::rmdir(l.stack_dir().c_str());
  return {};
}

// A supervisor SIGKILLed a moment ago can still accept a connection (its listening
// socket lives until its last thread has exited) and then drop it ("Broken pipe"):
// true once its lock is free (the journal is then the truth), false while it stays held.
bool supervisor_died(const stack::state::Layout& l) {
  for (int i = 0; i < 40; ++i) {
    auto holder = stack::state::LockFile::inspect(l.lock());
    if (!holder) return false;
    if (!holder->locked) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// --force: a supervisor that hangs (or whatever state it is in) is killed, and the
// journal is replayed here as after a crash. Only our supervisor: its cmdline is checked,
// so a reused pid is left alone.
void kill_supervisor(const stack::state::Layout& l) {
  pid_t pid = stack::cli::read_pid(l.supervisor_pid());
  auto cmdline = stack::read_file("/proc/" + std::to_string(pid) + "/cmdline");
  if (pid <= 0 || !cmdline || cmdline->find("__supervisor") == std::string::npos) return;
  if (::kill(pid, SIGKILL) != 0) return;
  std::fprintf(stderr, "stack: --force: killed supervisor pid %d\n", pid);
  stack::cli::wait_gone(pid);
}

int down(const stack::cli::Globals& g, const DownFlags& f) {
  auto project = stack::cli::load_project(g);
  std::string name = g.project_name.empty() && project ? project->name : g.project_name;
  if (name.empty()) return stack::cli::report(project.error().message);
  auto layout = stack::cli::stack_layout(g, name);
  if (!layout) return stack::cli::report(layout.error().message);
  bool known = exists(layout->stack_dir()) || exists(layout->logs_dir());
  // One-off containers of `stack run` first (they may use the stack's services).
  auto one_offs = stack::cli::remove_one_offs(g.root, name);
  if (!one_offs) return stack::cli::report(one_offs.error().message);
  for (const auto& c : *one_offs) stack::cli::progress_done("Container " + c, "Removed");
  if (f.force && known) kill_supervisor(*layout);
  if (auto c = sv::ControlClient::connect(layout->control_socket()); c) {
    if (auto r = down_via_supervisor(*c, *layout, f.timeout); !r) {
      if (!supervisor_died(*layout)) return stack::cli::report(r.error().message);
      if (auto j = down_from_journal(*layout); !j) return stack::cli::report(j.error().message);
    }
  } else if (known) {
    if (auto r = down_from_journal(*layout); !r) return stack::cli::report(r.error().message);
  } else if (!f.volumes && one_offs->empty()) {
    return stack::cli::report("no such stack: " + name);
  }
  ::rmdir(layout->stack_dir().c_str());
  if (f.volumes && project)
    for (const auto& [key, v] : project->volumes) {
      if (v.external) continue;
      auto removed = stack::engine::runtime::remove_tree(g.root + "/volumes/" + v.name);
      if (!removed) return stack::cli::report(removed.error().message);
      if (*removed) stack::cli::progress_done("Volume " + v.name, "Removed");
    }
  return 0;
}

stack::cli::Registrar reg("down", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<DownFlags>();
  auto* sub = app.add_subcommand("down", "Stop and remove containers and what up made");
  sub->add_flag("-v,--volumes", f->volumes, "Remove named volumes declared in the stack file");
  sub->add_option("-t,--timeout", f->timeout, "Shutdown timeout in seconds (default: each service's grace period)");
  sub->add_flag("--force", f->force, "Kill the supervisor and clean up from the journal (a hung supervisor)");
  return [&g, f] { return down(g, *f); };
});

}  // namespace
