#pragma once
// `up --wait`: is a container where compose's --wait wants it? Running and healthy
// (or running without a healthcheck), or exited 0 (a one-shot that completed). An
// unhealthy container, one that exited non-zero or is dead fails the wait; starting,
// restarting or created ones are still pending. Works on one entry of the
// supervisor's `ps` answer (Name, State, Health, ExitCode, Error).
#include <string>

#include <nlohmann/json.hpp>

namespace stack::supervisor {

enum class Readiness { kPending, kHealthy, kRunning, kCompleted, kFailed };

struct ReadyVerdict {
  Readiness readiness = Readiness::kPending;
  std::string why;  // kFailed: compose's words ("container demo-db-1 is unhealthy")
};

ReadyVerdict ready_verdict(const nlohmann::json& container);

}  // namespace stack::supervisor
