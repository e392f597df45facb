#pragma once
// Healthchecks in the supervisor: a service's healthcheck from the stack file, and
// the probe launcher that runs its command inside a replica's current container
// (engine/runtime/exec.hpp), stdout and stderr on one pipe for the health log.
#include <optional>
#include <string>
#include <vector>

#include "engine/model/project.hpp"
#include "engine/supervisor/container_runner.hpp"
#include "engine/supervisor/health_runner.hpp"

namespace stack::cli {

struct ServiceHealth {
  supervisor::HealthSpec spec;
  std::vector<std::string> argv;
};

// nullopt: the service has no healthcheck to run (none written, disable: true,
// test NONE, or no test: the image's would apply, and the image store keeps none).
std::optional<ServiceHealth> service_health(const model::Service& s);

// Starts argv in runner's container of the moment. cgroup_fd and join: the container's
// group (RunCgroup::clone_fd() and join_files()). runner must outlive the launcher.
supervisor::ProbeLauncher exec_probe(const supervisor::ContainerRunner& runner, int cgroup_fd,
                                     std::vector<std::string> join, std::string name, std::vector<std::string> argv);

}  // namespace stack::cli
