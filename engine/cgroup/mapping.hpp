#pragma once
// Pure conversions from compose's resource fields to cgroup file values, as Docker and
// the OCI runtimes do them. No kernel here; unit-tested in tests/unit/cgroup.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

inline constexpr uint64_t kCpuPeriodUs = 100000;  // Docker's and the kernel's default period
inline constexpr uint64_t kSharesMin = 2, kSharesMax = 262144;  // kernel MIN/MAX_SHARES
inline constexpr uint64_t kWeightMin = 1, kWeightMax = 10000;   // cgroup-v2.rst "Weights"

struct CpuMax {
  int64_t quota_us = -1;  // -1 = "max"
  uint64_t period_us = kCpuPeriodUs;
};
// compose `cpus: 0.5` -> quota 50000 per 100000 us (Docker's NanoCPUs); 0 = no limit.
Result<CpuMax> cpus_to_cpu_max(double cpus);

// cpu_shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000, default 100).
// The log-quadratic mapping of crun >= 1.23 and runc >= 1.3.2 (runc 1.2 used the linear
// 1 + (shares-2)*9999/262142, which maps the default 1024 to 39 instead of 100):
// with l = log2(shares), weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)); 2 -> 1,
// 1024 -> 100, 262144 -> 10000. 0 means unset and stays 0.
uint64_t shares_to_weight(uint64_t shares);

// blkio weight (10..1000) -> io.weight (1..10000), linear as runc does.
uint64_t blkio_weight_to_io_weight(uint64_t weight);

// Docker's memswap_limit rules: needs a memory limit; -1 = unlimited swap; otherwise
// >= memory. Unset with a memory limit: 2 x memory where swap is accounted, else unset.
// Returns the memory+swap value to enforce (unset = leave the kernel default).
Result<std::optional<int64_t>> resolve_memory_swap(std::optional<int64_t> memory,
                                                   std::optional<int64_t> memory_swap,
                                                   bool swap_accounted);
// v2 splits memory and swap: memory.swap.max = memswap - memory ("max" for -1).
std::optional<int64_t> v2_swap_max(std::optional<int64_t> memory, std::optional<int64_t> memswap);

// "max" for a negative value (v2 spelling of unlimited), else the decimal number.
std::string v2_value(int64_t value);

// io.max lines, one per device: "8:0 rbps=1048576 wbps=max riops=max wiops=10".
std::vector<std::string> io_max_lines(const BlkioLimits& blkio);

// cpuset list syntax check ("0-3,5"): digits, ranges and commas only.
Result<void> check_cpu_list(const std::string& field, const std::string& list);

}  // namespace stack::cgroup
