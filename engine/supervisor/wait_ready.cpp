#include "engine/supervisor/wait_ready.hpp"

namespace stack::supervisor {

ReadyVerdict ready_verdict(const nlohmann::json& c) {
  std::string name = c.value("Name", ""), state = c.value("State", ""), health = c.value("Health", "");
  int code = c.value("ExitCode", 0);
  if (state == "running") {
    if (health.empty()) return {Readiness::kRunning, {}};
    if (health == "healthy") return {Readiness::kHealthy, {}};
    if (health == "unhealthy") return {Readiness::kFailed, "container " + name + " is unhealthy"};
    return {};
  }
  if (state == "exited") {
    if (code == 0) return {Readiness::kCompleted, {}};
    return {Readiness::kFailed, "container " + name + " exited (" + std::to_string(code) + ")"};
  }
  if (state == "dead") {
    std::string error = c.value("Error", "");
    return {Readiness::kFailed, "container " + name + " is dead" + (error.empty() ? "" : ": " + error)};
  }
  return {};  // created, restarting: the restart policy may still bring it up
}

}  // namespace stack::supervisor
