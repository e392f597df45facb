#pragma once
// The STATUS text of `ps`, as Docker writes it (container/state.go State.String and
// go-units HumanDuration): "Up 5 seconds (healthy)", "Up 2 minutes (health: starting)",
// "Restarting (1) 3 seconds ago", "Exited (0) About a minute ago", "Created", "Dead".
#include <cstdint>
#include <optional>
#include <string>

#include "engine/supervisor/container_runner.hpp"
#include "engine/supervisor/health.hpp"

namespace stack::supervisor {

// "Less than a second", "1 second", "5 seconds", "About a minute", "3 minutes",
// "About an hour", "5 hours", "3 days", "2 weeks", "4 months", "2 years".
std::string human_duration(int64_t ns);

struct StatusInput {
  RunState state = RunState::kCreated;
  std::optional<Health> health;  // nullopt: no healthcheck
  int exit_code = 0;
  int64_t started_ns = 0, finished_ns = 0, now_ns = 0;
};
std::string status_text(const StatusInput& in);

}  // namespace stack::supervisor
