#pragma once
// The cgroup v1 file writes and reads behind Cgroup1Driver (cgroup-v1/*.rst), kept apart
// so that the driver file stays about placement and lifetime.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/cgroup/requirements.hpp"

namespace stack::cgroup {

// The container's directory in each hierarchy that carries limits (unset: not mounted).
struct V1Leaves {
  std::optional<std::string> memory, cpu, cpuset, pids, blkio;
};

// Writes limits, skipping those the verdict downgraded; adds the swap-default warning.
Result<void> write_v1_limits(const V1Leaves& leaves, const Limits& limits, Verdict& verdict);

// Stats from memory.usage_in_bytes/limit_in_bytes, cpuacct.usage, pids.current and
// blkio.throttle.io_service_bytes_recursive; a hierarchy that is not mounted reads 0.
Result<Stats> read_v1_stats(const std::optional<std::string>& memory,
                            const std::optional<std::string>& cpuacct,
                            const std::optional<std::string>& pids,
                            const std::optional<std::string>& blkio, const std::string& rel);

// One kill round: freeze (freezer.state FROZEN, so nothing forks while we list), SIGKILL
// every pid in leaves and below, thaw so the signals are delivered. Without a freezer
// hierarchy, just the SIGKILLs.
Result<void> freeze_kill_thaw(const std::optional<std::string>& freezer_leaf,
                              const std::vector<std::string>& leaves);

}  // namespace stack::cgroup
