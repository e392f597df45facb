#include "engine/cgroup/mapping.hpp"

#include <cmath>
#include <map>
#include <utility>

namespace stack::cgroup {

Result<CpuMax> cpus_to_cpu_max(double cpus) {
  if (!std::isfinite(cpus) || cpus < 0) return fail("cpus must be a finite number >= 0");
  CpuMax m;
  if (cpus == 0) return m;
  double quota = std::round(cpus * static_cast<double>(kCpuPeriodUs));
  // The kernel refuses quotas under 1 ms (kernel/sched/core.c min_cfs_quota_period).
  if (quota < 1000) return fail("cpus " + std::to_string(cpus) + " is below the minimum of 0.01");
  m.quota_us = static_cast<int64_t>(quota);
  return m;
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares <= kSharesMin) return kWeightMin;
  if (shares >= kSharesMax) return kWeightMax;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  // Round away floating point noise before ceil: 1024 gives exactly 2.0 in exact
  // arithmetic and must map to 100, not 101.
  double w = std::pow(10.0, exponent);
  double nearest = std::round(w);
  uint64_t weight = std::fabs(w - nearest) < 1e-9 ? static_cast<uint64_t>(nearest)
                                                  : static_cast<uint64_t>(std::ceil(w));
  if (weight < kWeightMin) return kWeightMin;
  if (weight > kWeightMax) return kWeightMax;
  return weight;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

Result<std::optional<int64_t>> resolve_memory_swap(std::optional<int64_t> memory,
                                                   std::optional<int64_t> memory_swap,
                                                   bool swap_accounted) {
  bool has_memory = memory && *memory > 0;
  if (memory_swap) {
    if (*memory_swap == 0) return std::optional<int64_t>{};  // compose: 0 = unset
    if (!has_memory)
      return fail("memswap_limit: needs mem_limit too (Docker's rule: the swap limit "
                  "counts memory plus swap)");
    if (*memory_swap > 0 && *memory_swap < *memory)
      return fail("memswap_limit: " + std::to_string(*memory_swap) +
                  " is smaller than mem_limit " + std::to_string(*memory) +
                  " (it counts memory plus swap)");
    return memory_swap;
  }
  if (has_memory && swap_accounted) return std::optional<int64_t>{*memory * 2};
  return std::optional<int64_t>{};
}

std::optional<int64_t> v2_swap_max(std::optional<int64_t> memory, std::optional<int64_t> memswap) {
  if (!memswap) return std::nullopt;
  if (*memswap < 0 || !memory || *memory < 0) return -1;
  return *memswap - *memory;
}

std::string v2_value(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

std::vector<std::string> io_max_lines(const BlkioLimits& blkio) {
  struct Dev {
    std::string rbps = "max", wbps = "max", riops = "max", wiops = "max";
  };
  std::map<std::pair<uint32_t, uint32_t>, Dev> devs;
  auto fill = [&](const std::vector<DeviceValue>& list, std::string Dev::*field) {
    for (const DeviceValue& d : list) devs[{d.major, d.minor}].*field = std::to_string(d.value);
  };
  fill(blkio.read_bps, &Dev::rbps);
  fill(blkio.write_bps, &Dev::wbps);
  fill(blkio.read_iops, &Dev::riops);
  fill(blkio.write_iops, &Dev::wiops);
  std::vector<std::string> out;
  for (const auto& [key, d] : devs)
    out.push_back(std::to_string(key.first) + ":" + std::to_string(key.second) + " rbps=" + d.rbps +
                  " wbps=" + d.wbps + " riops=" + d.riops + " wiops=" + d.wiops);
  return out;
}

Result<void> check_cpu_list(const std::string& field, const std::string& list) {
  bool ok = !list.empty();
  bool prev_digit = false;
  for (char c : list) {
    bool digit = c >= '0' && c <= '9';
    if (!digit && (c != '-' && c != ',')) ok = false;
    if (!digit && !prev_digit) ok = false;
    prev_digit = digit;
  }
  if (!prev_digit) ok = false;
  if (!ok) return fail(field + ": '" + list + "' is not a CPU/node list like '0-3,5'");
  return {};
}

}  // namespace stack::cgroup
