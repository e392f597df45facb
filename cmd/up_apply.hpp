#pragma once
// `up`'s side of "apply" (supervisor_apply.hpp): the request from the loaded project's
// options and up's flags, and compose's progress lines for the answer
// (" ✔ Container demo-web-1  Recreated", the orphan warning, a crash recovery note).
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/apply_plan.hpp"
#include "cmd/registry.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

// "web=3" per --scale flag.
Result<std::map<std::string, uint64_t>> parse_scale(const std::vector<std::string>& flags);

// Sends the apply and prints what it did; returns the names of the containers that now
// start (their " Started" lines come from "wait").
// load_token: connect_or_start's, when it started the supervisor.
Result<std::set<std::string>> apply_project(supervisor::ControlClient& c, const Globals& g,
                                            const ApplyOptions& o, std::chrono::milliseconds timeout,
                                            const std::string& load_token = {});

// The "wait" answer: Started (only for names in start) or Error lines; 1 if any failed.
int print_started(const nlohmann::json& result, const std::set<std::string>& start);

}  // namespace stack::cli
