#include "engine/cgroup/requirements.hpp"

namespace stack::cgroup {
namespace {

const char kSwapReason[] =
    "swap accounting is off (no memory.memsw.limit_in_bytes; boot the kernel with swapaccount=1)";
const char kSwapReasonV2[] =
    "swap accounting is off (no memory.swap.max; the kernel needs CONFIG_MEMCG_SWAP and no "
    "swapaccount=0)";

void add_blkio(std::vector<Requirement>& out, const BlkioLimits& b, bool v2) {
  std::string ctl = v2 ? "io" : "blkio";
  if (b.weight) {
    out.push_back({"blkio_config.weight", ctl,
                   v2 ? std::vector<std::string>{"io.weight", "io.bfq.weight"}
                      : std::vector<std::string>{"blkio.weight", "blkio.bfq.weight"},
                   "no proportional I/O scheduler (CFQ/BFQ) is active", false});
    out.back().needs_proportional_io = true;
  }
  if (!b.weight_device.empty()) {
    out.push_back({"blkio_config.weight_device", ctl,
                   v2 ? std::vector<std::string>{"io.weight", "io.bfq.weight"}
                      : std::vector<std::string>{"blkio.weight_device", "blkio.bfq.weight"},
                   "no proportional I/O scheduler (CFQ/BFQ) is active on the device", false});
    out.back().needs_proportional_io = true;
    for (const DeviceValue& d : b.weight_device) out.back().devices.emplace_back(d.major, d.minor);
  }
  struct Throttle {
    const std::vector<DeviceValue>* list;
    const char* limit;
    const char* v1_file;
  };
  const Throttle throttles[] = {
      {&b.read_bps, "blkio_config.device_read_bps", "blkio.throttle.read_bps_device"},
      {&b.write_bps, "blkio_config.device_write_bps", "blkio.throttle.write_bps_device"},
      {&b.read_iops, "blkio_config.device_read_iops", "blkio.throttle.read_iops_device"},
      {&b.write_iops, "blkio_config.device_write_iops", "blkio.throttle.write_iops_device"}};
  for (const Throttle& t : throttles)
    if (!t.list->empty())
      out.push_back({t.limit, ctl, {v2 ? "io.max" : t.v1_file},
                     "block I/O throttling is missing (CONFIG_BLK_DEV_THROTTLING)", !v2});
}

}  // namespace

std::vector<Requirement> v1_requirements(const Limits& l) {
  std::vector<Requirement> out;
  if (l.memory) out.push_back({"mem_limit", "memory", {"memory.limit_in_bytes"}, "", true});
  if (l.memory_swap && *l.memory_swap > 0)
    out.push_back({"memswap_limit", "memory", {"memory.memsw.limit_in_bytes"}, kSwapReason, true});
  if (l.memory_reservation)
    out.push_back({"mem_reservation", "memory", {"memory.soft_limit_in_bytes"}, "", true});
  if (l.cpu_quota_us || l.cpu_period_us)
    out.push_back({"cpus", "cpu", {"cpu.cfs_quota_us"},
                   "CPU bandwidth control is missing (CONFIG_CFS_BANDWIDTH)", true});
  if (l.cpu_shares) out.push_back({"cpu_shares", "cpu", {"cpu.shares"}, "", true});
  if (l.cpu_weight)
    out.push_back({"cpu_weight", "cpu", {"cpu.weight"},
                   "cgroup v1 has no cpu.weight (use cpu_shares)", true});
  if (l.cpuset_cpus) out.push_back({"cpuset", "cpuset", {"cpuset.cpus"}, "", true});
  if (l.cpuset_mems) out.push_back({"cpuset_mems", "cpuset", {"cpuset.mems"}, "", true});
  if (l.pids) out.push_back({"pids_limit", "pids", {"pids.max"}, "", false});
  add_blkio(out, l.blkio, false);
  return out;
}

std::vector<Requirement> v2_requirements(const Limits& l) {
  std::vector<Requirement> out;
  if (l.memory) out.push_back({"mem_limit", "memory", {"memory.max"}, "", false});
  if (l.memory_swap && *l.memory_swap > 0)
    out.push_back({"memswap_limit", "memory", {"memory.swap.max"}, kSwapReasonV2, false});
  if (l.memory_reservation) out.push_back({"mem_reservation", "memory", {"memory.low"}, "", false});
  if (l.cpu_quota_us || l.cpu_period_us)
    out.push_back({"cpus", "cpu", {"cpu.max"},
                   "CPU bandwidth control is missing (CONFIG_CFS_BANDWIDTH)", false});
  if (l.cpu_shares || l.cpu_weight) {
    std::string name = l.cpu_weight ? "cpu_weight" : "cpu_shares";
    out.push_back({name, "cpu", {"cpu.weight"}, "", false});
  }
  if (l.cpuset_cpus) out.push_back({"cpuset", "cpuset", {"cpuset.cpus"}, "", false});
  if (l.cpuset_mems) out.push_back({"cpuset_mems", "cpuset", {"cpuset.mems"}, "", false});
  if (l.pids) out.push_back({"pids_limit", "pids", {"pids.max"}, "", false});
  add_blkio(out, l.blkio, true);
  return out;
}

Result<Verdict> judge(const std::vector<Requirement>& reqs, Enforcement e,
                      const std::function<bool(const std::string&)>& has_controller,
                      const std::function<bool(const Requirement&)>& has_file,
                      const std::function<bool(const Requirement&)>& proportional_io) {
  Verdict v;
  for (const Requirement& r : reqs) {
    std::string reason;
    if (!has_controller(r.controller))
      reason = "the " + r.controller + " controller is not available";
    else if (has_file && !has_file(r))
      reason = r.missing_reason.empty() ? "no " + r.files.front() + " in the cgroup"
                                        : r.missing_reason;
    else if (r.needs_proportional_io && proportional_io && !proportional_io(r))
      reason = r.missing_reason;
    if (reason.empty()) continue;
    std::string msg = r.limit + ": cannot be enforced on this host: " + reason;
    if (e == Enforcement::kStrict) return fail(msg);
    v.warnings.push_back(msg + " (ignored as asked)");
    v.skipped.insert(r.limit);
  }
  return v;
}

}  // namespace stack::cgroup
