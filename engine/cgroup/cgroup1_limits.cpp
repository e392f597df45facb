#include "engine/cgroup/cgroup1_limits.hpp"

#include <signal.h>

#include <chrono>
#include <thread>

#include "engine/base/file.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/limits_common.hpp"
#include "engine/cgroup/mapping.hpp"

namespace stack::cgroup {
namespace {

std::string v1_value(int64_t v) { return v < 0 ? "-1" : std::to_string(v); }
std::string dev(const DeviceValue& d) {
  return std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + std::to_string(d.value);
}

// memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes (cgroup-v1/memory.rst
// 2.5), so the order of the two writes depends on the direction of the change.
Result<void> write_memory(const std::string& dir, std::optional<int64_t> memory,
                          std::optional<int64_t> memswap) {
  auto put_mem = [&]() -> Result<void> {
    if (!memory) return {};
    return fs::write_value(dir + "/memory.limit_in_bytes", v1_value(*memory));
  };
  auto put_swap = [&]() -> Result<void> {
    if (!memswap) return {};
    return fs::write_value(dir + "/memory.memsw.limit_in_bytes", v1_value(*memswap));
  };
  auto first = put_mem();
  if (!first && first.error().code == EINVAL && memswap) {
    STACK_TRY(put_swap());
    return put_mem();
  }
  if (!first) return first;
  return put_swap();
}

Result<void> write_blkio(const std::string& dir, const BlkioLimits& b, const Verdict& v) {
  auto skip = [&](const char* limit) { return v.skipped.count(limit) > 0; };
  bool bfq = !fs::exists(dir + "/blkio.weight");
  if (b.weight && !skip("blkio_config.weight"))
    STACK_TRY(fs::write_value(dir + (bfq ? "/blkio.bfq.weight" : "/blkio.weight"),
                              std::to_string(*b.weight)));
  if (!skip("blkio_config.weight_device"))
    for (const DeviceValue& d : b.weight_device)
      STACK_TRY(fs::write_value(dir + (bfq ? "/blkio.bfq.weight" : "/blkio.weight_device"), dev(d)));
  struct T {
    const std::vector<DeviceValue>* list;
    const char* limit;
    const char* file;
  };
  const T throttles[] = {
      {&b.read_bps, "blkio_config.device_read_bps", "/blkio.throttle.read_bps_device"},
      {&b.write_bps, "blkio_config.device_write_bps", "/blkio.throttle.write_bps_device"},
      {&b.read_iops, "blkio_config.device_read_iops", "/blkio.throttle.read_iops_device"},
      {&b.write_iops, "blkio_config.device_write_iops", "/blkio.throttle.write_iops_device"}};
  for (const T& t : throttles)
    if (!skip(t.limit))
      for (const DeviceValue& d : *t.list) STACK_TRY(fs::write_value(dir + t.file, dev(d)));
  return {};
}

}  // namespace

Result<void> write_v1_limits(const V1Leaves& leaves, const Limits& l, Verdict& verdict) {
  auto skip = [&](const char* limit) { return verdict.skipped.count(limit) > 0; };
  if (leaves.memory) {
    const std::string& dir = *leaves.memory;
    bool swap_accounted = fs::exists(dir + "/memory.memsw.limit_in_bytes");
    auto memswap = resolve_memory_swap(l.memory, l.memory_swap, swap_accounted);
    if (!memswap) return unexpected(memswap.error());
    if (auto w = default_swap_warning(l, swap_accounted)) verdict.warnings.push_back(*w);
    std::optional<int64_t> mem = skip("mem_limit") ? std::nullopt : l.memory;
    std::optional<int64_t> swap = skip("memswap_limit") || !swap_accounted ? std::nullopt : *memswap;
    STACK_TRY(write_memory(dir, mem, swap));
    if (l.memory_reservation && !skip("mem_reservation"))
      STACK_TRY(fs::write_value(dir + "/memory.soft_limit_in_bytes", v1_value(*l.memory_reservation)));
  }
  if (leaves.cpu) {
    const std::string& dir = *leaves.cpu;
    if ((l.cpu_quota_us || l.cpu_period_us) && !skip("cpus")) {
      STACK_TRY(fs::write_value(dir + "/cpu.cfs_period_us",
                                std::to_string(l.cpu_period_us.value_or(kCpuPeriodUs))));
      STACK_TRY(fs::write_value(dir + "/cpu.cfs_quota_us", v1_value(l.cpu_quota_us.value_or(-1))));
    }
    if (l.cpu_shares && *l.cpu_shares > 0 && !skip("cpu_shares"))
      STACK_TRY(fs::write_value(dir + "/cpu.shares", std::to_string(*l.cpu_shares)));
  }
  if (leaves.cpuset) {
    if (l.cpuset_mems && !skip("cpuset_mems"))
      STACK_TRY(fs::write_value(*leaves.cpuset + "/cpuset.mems", *l.cpuset_mems));
    if (l.cpuset_cpus && !skip("cpuset"))
      STACK_TRY(fs::write_value(*leaves.cpuset + "/cpuset.cpus", *l.cpuset_cpus));
  }
  if (leaves.pids && l.pids && !skip("pids_limit"))
    STACK_TRY(fs::write_value(*leaves.pids + "/pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids)));
  if (leaves.blkio && !l.blkio.empty()) STACK_TRY(write_blkio(*leaves.blkio, l.blkio, verdict));
  return {};
}

Result<Stats> read_v1_stats(const std::optional<std::string>& memory,
                            const std::optional<std::string>& cpuacct,
                            const std::optional<std::string>& pids,
                            const std::optional<std::string>& blkio, const std::string& rel) {
  Stats s;
  if (memory) {
    std::string dir = *memory + "/" + rel;
    auto usage = fs::read_u64(dir + "/memory.usage_in_bytes");
    if (!usage) return unexpected(usage.error().wrap("reading stats of '" + rel + "'"));
    s.memory_usage = *usage;
    if (auto f = fs::read_keyed(dir + "/memory.stat", "total_inactive_file"); f && *f) s.memory_inactive_file = **f;
    // "Unlimited" reads as PAGE_COUNTER_MAX pages, about 2^63: anything above 2^62 is none.
    if (auto lim = fs::read_u64(dir + "/memory.limit_in_bytes"); lim && *lim < (uint64_t{1} << 62))
      s.memory_limit = *lim;
  }
  if (cpuacct) {
    auto usage = fs::read_u64(*cpuacct + "/" + rel + "/cpuacct.usage");
    if (!usage) return unexpected(usage.error().wrap("reading stats of '" + rel + "'"));
    s.cpu_usage_ns = *usage;
  }
  if (pids)
    if (auto p = fs::read_u64(*pids + "/" + rel + "/pids.current")) s.pids_current = *p;
  if (blkio) {
    std::string dir = *blkio + "/" + rel;
    auto text = read_file(dir + "/blkio.throttle.io_service_bytes_recursive");
    if (!text) text = read_file(dir + "/blkio.throttle.io_service_bytes");
    if (text) add_io_stat_v1(*text, s);
  }
  return s;
}

Result<void> freeze_kill_thaw(const std::optional<std::string>& freezer_leaf,
                              const std::vector<std::string>& leaves) {
  if (freezer_leaf) {
    STACK_TRY(fs::write_value(*freezer_leaf + "/freezer.state", "FROZEN"));
    // FREEZING until every task is frozen (cgroup-v1/freezer-subsystem.rst); a task stuck
    // in an uninterruptible sleep may delay that, so wait a bounded time and go on.
    for (int i = 0; i < 100; ++i) {
      auto st = fs::read_value(*freezer_leaf + "/freezer.state");
      if (!st || *st == "FROZEN") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  auto pids = pids_below(leaves);
  if (pids)
    for (pid_t p : *pids) ::kill(p, SIGKILL);
  if (freezer_leaf) STACK_TRY(fs::write_value(*freezer_leaf + "/freezer.state", "THAWED"));
  if (!pids) return unexpected(pids.error());
  return {};
}

}  // namespace stack::cgroup
