#pragma once
// A second `up` applies the newly loaded stack file to the running stack (compose's
// convergence): the CLI sends its load options and flags as the control method
// "apply"; the supervisor loads the project, plans per config hash (apply_plan.hpp),
// stops what is recreated or removed in dependency order (stop_signal, grace period),
// removes those containers (they leave their networks), joins new and recreated ones to
// their service's networks (their names reach the name servers and the /etc/hosts of the
// members they share a network with; a network new to the stack is made before
// anything stops, one whose definition changed is refused), then starts what is new or
// recreated in dependency order. The host ports of the new project are bound before
// anything stops (a port in use refuses the apply, nothing changed) and those no longer
// wanted are closed at the commit (up_ports.hpp); a kept container whose x-bandwidth
// changed is reshaped in place (x-bandwidth is not in the config hash). One apply runs at a time; others wait their turn.
#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "cmd/apply_plan.hpp"
#include "cmd/up_ports.hpp"
#include "engine/image/store.hpp"
#include "engine/model/load.hpp"
#include "engine/supervisor/control_server.hpp"
#include "engine/supervisor/dependency.hpp"

namespace stack::cli {

// The CLI's load options in the apply request (the supervisor loads the files itself,
// with the environment of the `up` that asked).
nlohmann::json load_options_json(const model::LoadOptions& o);
model::LoadOptions load_options_of(const nlohmann::json& j);

struct ApplyRun {
  model::Project project;
  std::optional<supervisor::DependencyGraph> graph;
  std::map<std::string, image::Image> images;
  std::map<std::string, std::string> hashes;
  ApplyOptions options;
  std::map<std::string, uint64_t> selected;  // services this up touches -> replicas wanted
  ApplyPlan plan;
  std::optional<StackPorts::Change> ports;  // bound before anything stops or starts
  std::optional<supervisor::StopScheduler> stop;  // over the running project's graph
  std::set<std::string> stopping, stopped;
  std::optional<supervisor::Responder> resp;
  bool pumping = false, again = false, committing = false;
};

// Loads and plans (no side effect): the new project, its graph, images and hashes.
// loaded: the project params' load options name, already loaded (the supervisor's own
// load at start, for the apply of the up that started it); else it is loaded here.
Result<std::unique_ptr<ApplyRun>> prepare_apply(const nlohmann::json& params, const std::string& state_root,
                                                std::optional<model::Project> loaded = std::nullopt);

}  // namespace stack::cli
