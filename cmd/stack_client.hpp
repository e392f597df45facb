#pragma once
// What the commands that talk to a running stack (start, stop, restart, kill, pause,
// unpause, wait, events, ls, ps, stats, top) share on the client side: finding the
// stack's supervisor, the state.json view when it is gone, and compose's progress lines.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/registry.hpp"
#include "engine/base/result.hpp"
#include "engine/state/layout.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

struct StackTarget {
  std::string name;
  state::Layout layout;
};
// -p or the stack file's project name, and its layout.
Result<StackTarget> target_stack(const Globals& g);
// "no such stack: NAME" when nothing of it exists; a clear line when its supervisor is
// gone but its state is there (down cleans it up).
Result<supervisor::ControlClient> connect_stack(const StackTarget& t);
// target_stack, then connect_stack.
Result<supervisor::ControlClient> connect_stack(const Globals& g);

// The containers of state.json, each State checked against /proc: a process that is
// gone (or is no longer in the stack's cgroup) is "exited" with ExitCode 255, as Docker
// shows containers whose exit it did not see. Errors: no state file, corrupt file.
Result<nlohmann::json> offline_state(const state::Layout& l);
// Says on stderr that the supervisor of name is not running.
void warn_supervisor_gone(const std::string& name, const state::Layout& l);

// A lifecycle call whose result is {"containers":[{"name","error"?}]}: prints
// " ✔ Container NAME  <done>" per container (errors on stderr); 1 if any failed.
int run_simple(const Globals& g, const std::string& method, const nlohmann::json& params, const std::string& done);

// stop and restart: adds `-t, --timeout` and SERVICE... to sub; the runner calls method.
Runner timed_command(CLI::App* sub, Globals& g, const std::string& method, const std::string& done);

// `logging: driver: none` keeps no log: named services with it are an error (docker's
// "configured logging driver does not support reading"), others are skipped with a
// warning. No loadable stack file: nothing is checked.
Result<void> check_log_drivers(const Globals& g, const std::vector<std::string>& services);

}  // namespace stack::cli
