#include "engine/cgroup/cgroup2_driver.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>

#include <set>
#include <sstream>

#include "engine/base/file.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/io_scheduler.hpp"
#include "engine/cgroup/limits_common.hpp"
#include "engine/cgroup/mapping.hpp"
#include "engine/cgroup/path.hpp"
#include "engine/cgroup/requirements.hpp"

namespace stack::cgroup {
namespace {

const char* const kWanted[] = {"cpuset", "cpu", "io", "memory", "pids"};

std::set<std::string> words_of(const std::string& path) {
  std::set<std::string> out;
  auto text = read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  std::string w;
  while (in >> w) out.insert(w);
  return out;
}

// cgroup-v2.rst "Enabling and Disabling": a controller is usable in a child only if the
// parent lists it in cgroup.subtree_control, and only a parent without processes (or
// the root) may enable one ("no internal process" rule).
Result<void> enable_controllers(const std::string& parent) {
  std::set<std::string> available = words_of(parent + "/cgroup.controllers");
  std::set<std::string> enabled = words_of(parent + "/cgroup.subtree_control");
  std::string add;
  for (const char* c : kWanted)
    if (available.count(c) && !enabled.count(c)) add += std::string(add.empty() ? "+" : " +") + c;
  if (add.empty()) return {};
  auto r = fs::write_value(parent + "/cgroup.subtree_control", add);
  if (!r && r.error().code == EBUSY)
    return unexpected(r.error().wrap(
        "enabling controllers below '" + parent +
        "' (the group holds processes; cgroup v2 lets only empty groups delegate controllers: "
        "start stack in a cgroup of its own or configure an empty parent)"));
  if (!r) return unexpected(r.error().wrap("enabling controllers below '" + parent + "'"));
  return {};
}

Result<void> write_v2_io(const std::string& dir, const BlkioLimits& b, const Verdict& verdict);

// The writes behind apply(), in the order the kernel accepts them; skips what the
// verdict downgraded and adds the swap-default warning.
Result<void> write_v2_limits(const std::string& dir, const Limits& limits, Verdict& verdict) {
  auto skip = [&](const char* limit) { return verdict.skipped.count(limit) > 0; };
  auto put = [&](const std::string& file, const std::string& value) {
    return fs::write_value(dir + "/" + file, value);
  };
  bool swap_accounted = fs::exists(dir + "/memory.swap.max");
  auto memswap = resolve_memory_swap(limits.memory, limits.memory_swap, swap_accounted);
  if (!memswap) return unexpected(memswap.error());
  if (auto w = default_swap_warning(limits, swap_accounted)) verdict.warnings.push_back(*w);
  if (limits.memory && !skip("mem_limit")) STACK_TRY(put("memory.max", v2_value(*limits.memory)));
  if (auto swap = v2_swap_max(limits.memory, *memswap);
      swap && swap_accounted && !skip("memswap_limit"))
    STACK_TRY(put("memory.swap.max", v2_value(*swap)));
  if (limits.memory_reservation && !skip("mem_reservation"))
    STACK_TRY(put("memory.low", v2_value(*limits.memory_reservation)));
  if ((limits.cpu_quota_us || limits.cpu_period_us) && !skip("cpus"))
    STACK_TRY(put("cpu.max", v2_value(limits.cpu_quota_us.value_or(-1)) + " " +
                                 std::to_string(limits.cpu_period_us.value_or(kCpuPeriodUs))));
  uint64_t weight = limits.cpu_weight ? *limits.cpu_weight : shares_to_weight(limits.cpu_shares.value_or(0));
  if (weight > 0 && !skip(limits.cpu_weight ? "cpu_weight" : "cpu_shares"))
    STACK_TRY(put("cpu.weight", std::to_string(weight)));
  if (limits.cpuset_cpus && !skip("cpuset")) STACK_TRY(put("cpuset.cpus", *limits.cpuset_cpus));
  if (limits.cpuset_mems && !skip("cpuset_mems")) STACK_TRY(put("cpuset.mems", *limits.cpuset_mems));
  if (limits.pids && !skip("pids_limit")) STACK_TRY(put("pids.max", v2_value(*limits.pids)));
  return write_v2_io(dir, limits.blkio, verdict);
}

Result<void> write_v2_io(const std::string& dir, const BlkioLimits& b, const Verdict& verdict) {
  auto skip = [&](const char* limit) { return verdict.skipped.count(limit) > 0; };
  // io.weight takes 1..10000 ("default W" / "MAJ:MIN W"); io.bfq.weight takes blkio's 10..1000.
  bool bfq = !fs::exists(dir + "/io.weight");
  std::string file = dir + (bfq ? "/io.bfq.weight" : "/io.weight");
  auto conv = [&](uint64_t w) { return bfq ? w : blkio_weight_to_io_weight(w); };
  if (b.weight && !skip("blkio_config.weight"))
    STACK_TRY(fs::write_value(file, "default " + std::to_string(conv(*b.weight))));
  if (!skip("blkio_config.weight_device"))
    for (const DeviceValue& d : b.weight_device)
      STACK_TRY(fs::write_value(file, std::to_string(d.major) + ":" + std::to_string(d.minor) + " " +
                                          std::to_string(conv(d.value))));
  bool throttles_skipped = skip("blkio_config.device_read_bps") || skip("blkio_config.device_write_bps") ||
                           skip("blkio_config.device_read_iops") || skip("blkio_config.device_write_iops");
  if (!throttles_skipped)
    for (const std::string& line : io_max_lines(b)) STACK_TRY(fs::write_value(dir + "/io.max", line));
  return {};
}

}  // namespace

Result<std::vector<std::string>> Cgroup2Driver::check(const Limits& limits, Enforcement e) const {
  STACK_TRY(check_limit_values(limits));
  if (!fs::exists(base_ + "/cgroup.controllers"))
    return fail("'" + base_ + "' is not a cgroup v2 directory (no cgroup.controllers)");
  std::set<std::string> available = words_of(base_ + "/cgroup.controllers");
  auto has_controller = [&](const std::string& c) { return available.count(c) > 0; };
  auto verdict = judge(v2_requirements(limits), e, has_controller, nullptr, host_proportional_io);
  if (!verdict) return unexpected(verdict.error());
  return verdict->warnings;
}

Result<bool> Cgroup2Driver::create(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  return fs::make_below(
      base_, rel, [](const std::string& parent, const std::string&) { return enable_controllers(parent); },
      nullptr);
}

bool Cgroup2Driver::exists(const std::string& rel) const {
  return check_relative(rel) && fs::exists(base_ + "/" + rel);
}

Result<std::vector<std::string>> Cgroup2Driver::apply(const std::string& rel, const Limits& limits,
                                                      Enforcement e) {
  STACK_TRY(check_relative(rel));
  STACK_TRY(check_limit_values(limits));
  std::string dir = base_ + "/" + rel;
  if (!fs::exists(dir)) return fail("cgroup '" + dir + "' does not exist (create it first)");
  std::set<std::string> available = words_of(dir + "/cgroup.controllers");
  auto has_controller = [&](const std::string& c) { return available.count(c) > 0; };
  auto has_file = [&](const Requirement& r) {
    for (const std::string& f : r.files)
      if (fs::exists(dir + "/" + f)) return true;
    return false;
  };
  auto verdict = judge(v2_requirements(limits), e, has_controller, has_file, host_proportional_io);
  if (!verdict) return unexpected(verdict.error());

  auto r = write_v2_limits(dir, limits, *verdict);
  if (!r) return unexpected(r.error().wrap("applying limits to '" + rel + "'"));
  return verdict->warnings;
}

Result<UniqueFd> Cgroup2Driver::clone_into_fd(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::string dir = base_ + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("failed to open cgroup '" + dir + "' for CLONE_INTO_CGROUP");
  return fd;
}

Result<void> Cgroup2Driver::place_pid(const std::string& rel, pid_t pid) {
  STACK_TRY(check_relative(rel));
  auto r = fs::write_value(base_ + "/" + rel + "/cgroup.procs", std::to_string(pid));
  if (!r) return unexpected(r.error().wrap("placing pid " + std::to_string(pid)));
  return {};
}

Result<OomWatch> Cgroup2Driver::watch_oom(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::string file = base_ + "/" + rel + "/memory.events";
  UniqueFd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) return fail_errno("inotify_init1 for '" + file + "'");
  // cgroupfs reports each change of memory.events as IN_MODIFY (cgroup-v2.rst
  // "memory.events ... generates a file modified event").
  if (::inotify_add_watch(fd.get(), file.c_str(), IN_MODIFY) < 0)
    return fail_errno("failed to watch '" + file + "' (is the memory controller enabled?)");
  return OomWatch(OomWatch::Kind::kInotify, std::move(fd));
}

Result<uint64_t> Cgroup2Driver::oom_kill_count(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::string file = base_ + "/" + rel + "/memory.events";
  auto v = fs::read_keyed(file, "oom_kill");
  if (!v) return unexpected(v.error());
  if (!*v) return fail("'" + file + "' has no oom_kill line");
  return **v;
}

Result<Stats> Cgroup2Driver::stats(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::string dir = base_ + "/" + rel;
  Stats s;
  auto cpu = fs::read_keyed(dir + "/cpu.stat", "usage_usec");
  if (!cpu) return unexpected(cpu.error().wrap("reading stats of '" + rel + "'"));
  s.cpu_usage_ns = cpu->value_or(0) * 1000;
  if (auto m = fs::read_u64(dir + "/memory.current")) s.memory_usage = *m;
  if (auto f = fs::read_keyed(dir + "/memory.stat", "inactive_file"); f && *f) s.memory_inactive_file = **f;
  if (auto m = fs::read_value(dir + "/memory.max"); m && *m != "max") {
    auto v = fs::read_u64(dir + "/memory.max");
    if (v) s.memory_limit = *v;
  }
  if (auto p = fs::read_u64(dir + "/pids.current")) s.pids_current = *p;
  if (auto io = read_file(dir + "/io.stat")) add_io_stat_v2(*io, s);
  return s;
}

Result<std::vector<pid_t>> Cgroup2Driver::pids(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  return pids_below({base_ + "/" + rel});
}

Result<void> Cgroup2Driver::kill_all(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::string dir = base_ + "/" + rel;
  if (!fs::exists(dir)) return {};
  // cgroup.kill (Linux 5.14) kills the whole subtree atomically, forks included. Older
  // kernels: freeze with cgroup.freeze so nothing forks, SIGKILL each pid, thaw.
  bool has_kill = fs::exists(dir + "/cgroup.kill");
  return kill_until_empty({dir}, [&]() -> Result<void> {
    if (has_kill) return fs::write_value(dir + "/cgroup.kill", "1");
    STACK_TRY(fs::write_value(dir + "/cgroup.freeze", "1"));
    auto pids = pids_below({dir});
    if (pids)
      for (pid_t p : *pids) ::kill(p, SIGKILL);
    STACK_TRY(fs::write_value(dir + "/cgroup.freeze", "0"));
    if (!pids) return unexpected(pids.error());
    return {};
  });
}

Result<void> Cgroup2Driver::prune_empty(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  return fs::prune_empty(base_, rel);
}

Result<bool> Cgroup2Driver::remove(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  return fs::remove_tree(base_ + "/" + rel);
}

}  // namespace stack::cgroup
