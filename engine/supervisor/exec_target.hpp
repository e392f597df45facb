#pragma once
// Builds the runtime's ExecTarget (engine/runtime/exec.hpp) for a supervised container:
// what `stack exec` and healthcheck probes enter.
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/container.hpp"
#include "engine/runtime/exec.hpp"

namespace stack::supervisor {

// c: a running container (ContainerRunner::current()). cgroup_fd and join: its group as
// the container's own launch entered it (RunCgroup::clone_fd() and join_files()). Both
// empty (no group known): the files of every hierarchy the container is in are found
// from /proc/<pid>/cgroup and the host's cgroup mounts. The target borrows c's spec and
// pidfd: use it while c lives.
Result<engine::runtime::ExecTarget> exec_target(const engine::runtime::Container& c, int cgroup_fd,
                                                std::vector<std::string> join, std::string name);

}  // namespace stack::supervisor
