#pragma once
// What the commands share: loading the project the way every
// command does (the global flags), the stack's run-root layout, and container names.
#include <string>

#include "cmd/registry.hpp"
#include "engine/base/result.hpp"
#include "engine/model/load.hpp"
#include "engine/model/project.hpp"
#include "engine/state/layout.hpp"

namespace stack::cli {

Result<model::Project> load_project(const Globals& g);
// What load_project loads with (the global flags, cwd, environment).
model::LoadOptions load_options(const Globals& g);
// -p if given, else the loaded project's name (so `down -p X` works without a file).
Result<std::string> project_name(const Globals& g);
Result<state::Layout> stack_layout(const Globals& g, const std::string& project);
// Compose's container name: <project>-<service>-<n>, n from 1.
std::string container_name(const std::string& project, const std::string& service, uint64_t n);
// "no such stack: NAME (no supervisor runs for it)" when the control socket is absent.
bool stack_running(const state::Layout& layout);
// The pid in a pid file (0 if none), and a wait (up to 10 s) until that process has
// exited: a zombie counts as gone, since the supervisor's reaper is the host's PID 1.
pid_t read_pid(const std::string& path);
void wait_gone(pid_t pid);

}  // namespace stack::cli
