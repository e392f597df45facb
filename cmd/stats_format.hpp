#pragma once
// The numbers of `stack stats` as docker stats shows them (docker/cli's
// cli/command/container/stats_helpers.go and formatter_stats.go, and go-units' size.go):
// CPU % from two samples, memory without the inactive page cache, binary sizes for
// memory ("1.5MiB"), decimal ones with 3 significant digits for I/O ("1.23kB").
// Pure functions: unit-tested without a kernel (tests/unit/stats).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace stack::cli {

// One container's raw sample, as the supervisor's "stats" method returns it.
struct StatsSample {
  std::string name, service;
  uint64_t cpu_usage_ns = 0;     // the cgroup's cumulative CPU time
  uint64_t system_cpu_ns = 0;    // the host's cumulative CPU time, all CPUs (/proc/stat)
  uint32_t online_cpus = 0;
  uint64_t memory_usage = 0;     // bytes, page cache included
  uint64_t memory_inactive_file = 0;
  uint64_t memory_limit = 0;     // the cgroup's limit, or the host's memory if unlimited
  uint64_t net_rx_bytes = 0, net_tx_bytes = 0;  // the container's view
  uint64_t net_rx_packets = 0, net_tx_packets = 0;
  // x-bandwidth the kernel enforces on its links now (read back from the qdiscs), per
  // link in interface order "into / out of" ("8mbit / -": no limit out), ", " between
  // links; "" when no link is limited.
  std::string net_limit;
  uint64_t io_read_bytes = 0, io_write_bytes = 0;
  uint64_t pids = 0;
};

nlohmann::json to_json(const StatsSample& s);
StatsSample sample_from_json(const nlohmann::json& j);

// docker's calculateCPUPercentUnix: (container delta / host delta) x CPUs x 100; 0 when
// either delta is not positive (the first sample, a counter reset).
double cpu_percent(const StatsSample& previous, const StatsSample& current);
// Usage minus the inactive file cache (docker's calculateMemUsageUnixNoCache).
uint64_t memory_no_cache(const StatsSample& s);
double memory_percent(const StatsSample& s);

// go-units BytesSize: "%.4g" with 1024 steps, B KiB MiB GiB ...
std::string binary_size(double bytes);
// go-units HumanSizeWithPrecision(size, 3): "%.3g" with 1000 steps, B kB MB GB ...
std::string decimal_size(double bytes);

// The /proc/stat "cpu" line's first eight fields (user .. steal) in ns, as docker's
// getSystemCPUUsage; unset if the line is missing.
std::optional<uint64_t> parse_proc_stat_ns(std::string_view text, long clock_ticks);
// MemTotal of /proc/meminfo in bytes; unset if missing.
std::optional<uint64_t> parse_meminfo_total(std::string_view text);

// One row with docker stats' JSON keys (BlockIO CPUPerc Container MemPerc MemUsage Name
// NetIO PIDs; no ID: stack's containers have names only), NetPackets ("rx / tx") and
// NetLimit (StatsSample::net_limit), not in docker's; previous is null for a container
// seen for the first time.
nlohmann::json stats_row(const StatsSample& current, const StatsSample* previous);
// Cells padded by 3 and at least min_width wide, the last column unpadded (Go's
// tabwriter as docker's tables use it).
std::string align_columns(const std::vector<std::vector<std::string>>& cells, std::size_t min_width);
// The table: NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS, one line each,
// aligned as docker's tabwriter does (cells padded by 3, at least 10 wide); NET LIMIT
// last when a row has one.
std::string stats_table(const std::vector<nlohmann::json>& rows);

}  // namespace stack::cli
