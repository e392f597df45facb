#pragma once
// Pieces both drivers share: value checks, the swap-default warning, io stat parsing,
// and the kill-until-empty loop.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

// Values the kernel would refuse or misread, caught before any write, named by the
// stack file's field: "pids_limit: must be positive or -1".
Result<void> check_limit_values(const Limits& limits);

// Docker's warning when a memory limit is set, memswap_limit is not, and the host does
// not account swap while it has swap: the container may then swap without limit.
std::optional<std::string> default_swap_warning(const Limits& limits, bool swap_accounted);

// Adds v2 io.stat ("8:0 rbytes=N wbytes=N rios=...") byte counts to stats.
void add_io_stat_v2(std::string_view text, Stats& stats);
// Adds v1 blkio.throttle.io_service_bytes(_recursive) ("8:0 Read N") counts to stats.
void add_io_stat_v1(std::string_view text, Stats& stats);

// Every pid in the cgroup.procs of dirs and their descendants, without duplicates.
Result<std::vector<pid_t>> pids_below(const std::vector<std::string>& dirs);

// Runs kill_round, then waits until no process is left in dirs (and below); repeats the
// round while processes remain, for up to about 5 s. The error counts what is left.
// Empty dirs: returns at once, without a round.
Result<void> kill_until_empty(const std::vector<std::string>& dirs,
                              const std::function<Result<void>()>& kill_round);

}  // namespace stack::cgroup
