#include "engine/cgroup/limits_common.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "engine/base/file.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/mapping.hpp"

namespace stack::cgroup {

Result<void> check_limit_values(const Limits& l) {
  auto positive_or_unlimited = [](const char* name, std::optional<int64_t> v) -> Result<void> {
    if (v && *v <= 0 && *v != -1) return fail(std::string(name) + ": must be positive or -1 (unlimited)");
    return {};
  };
  STACK_TRY(positive_or_unlimited("mem_limit", l.memory));
  STACK_TRY(positive_or_unlimited("mem_reservation", l.memory_reservation));
  STACK_TRY(positive_or_unlimited("pids_limit", l.pids));
  STACK_TRY(positive_or_unlimited("cpus", l.cpu_quota_us));
  // Docker refuses memory limits under 6 MiB: a process cannot start below that.
  if (l.memory && *l.memory > 0 && *l.memory < 6 * 1024 * 1024)
    return fail("mem_limit: " + std::to_string(*l.memory) + " bytes is below the minimum of 6m");
  if (l.cpu_quota_us && *l.cpu_quota_us > 0 && *l.cpu_quota_us < 1000)
    return fail("cpus: the quota of " + std::to_string(*l.cpu_quota_us) + " us is below 1000 us");
  if (l.cpu_period_us && (*l.cpu_period_us < 1000 || *l.cpu_period_us > 1000000))
    return fail("cpu_period: must be between 1000 and 1000000 us");
  if (l.cpu_shares && *l.cpu_shares != 0 && (*l.cpu_shares < kSharesMin || *l.cpu_shares > kSharesMax))
    return fail("cpu_shares: must be between 2 and 262144");
  if (l.cpu_weight && (*l.cpu_weight < kWeightMin || *l.cpu_weight > kWeightMax))
    return fail("cpu_weight: must be between 1 and 10000");
  if (l.cpuset_cpus) STACK_TRY(check_cpu_list("cpuset", *l.cpuset_cpus));
  if (l.cpuset_mems) STACK_TRY(check_cpu_list("cpuset_mems", *l.cpuset_mems));
  auto weight_ok = [](uint64_t w) { return w >= 10 && w <= 1000; };
  if (l.blkio.weight && !weight_ok(*l.blkio.weight))
    return fail("blkio_config.weight: must be between 10 and 1000");
  for (const DeviceValue& d : l.blkio.weight_device)
    if (!weight_ok(d.value)) return fail("blkio_config.weight_device: weights must be between 10 and 1000");
  return {};
}

std::optional<std::string> default_swap_warning(const Limits& l, bool swap_accounted) {
  if (swap_accounted || l.memory_swap || !l.memory || *l.memory <= 0) return std::nullopt;
  auto swaps = read_file("/proc/swaps");  // a header line, then one line per swap area
  if (!swaps || std::count(swaps->begin(), swaps->end(), '\n') < 2) return std::nullopt;
  return "memswap_limit: swap accounting is off on this host, so the default swap limit "
         "(2 x mem_limit) cannot be set: the container may use swap without limit";
}

void add_io_stat_v2(std::string_view text, Stats& s) {
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) {
    if (word.rfind("rbytes=", 0) == 0) s.io_read_bytes += std::stoull(word.substr(7));
    if (word.rfind("wbytes=", 0) == 0) s.io_write_bytes += std::stoull(word.substr(7));
  }
}

void add_io_stat_v1(std::string_view text, Stats& s) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, op;
    uint64_t n = 0;
    if (!(f >> dev >> op >> n)) continue;
    if (op == "Read") s.io_read_bytes += n;
    if (op == "Write") s.io_write_bytes += n;
  }
}

Result<std::vector<pid_t>> pids_below(const std::vector<std::string>& dirs) {
  std::vector<pid_t> out;
  for (const std::string& dir : dirs) {
    auto tree = fs::subtree_post_order(dir);
    if (!tree) return unexpected(tree.error());
    for (const std::string& d : *tree) {
      auto procs = fs::read_procs(d);
      if (!procs) {
        if (procs.error().code == ENOENT) continue;  // removed meanwhile
        return unexpected(procs.error());
      }
      out.insert(out.end(), procs->begin(), procs->end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<void> kill_until_empty(const std::vector<std::string>& dirs,
                              const std::function<Result<void>()>& kill_round) {
  // Nothing to kill, the usual case once a container's init has exited (the kernel ends
  // its pid namespace, and every process of the group with it): no round. A v1 freeze
  // and thaw flips a static key of the kernel each (text patching, an IPI to every CPU):
  // ~0.3 ms of a one-shot `run` here.
  auto before = pids_below(dirs);
  if (!before) return unexpected(before.error());
  if (before->empty()) return {};
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  size_t left = 0;
  while (Clock::now() < deadline) {
    auto r = kill_round();
    if (!r && r.error().code != ENOENT) return unexpected(r.error().wrap("killing processes"));
    // SIGKILLed tasks leave cgroup.procs once they exit; give them up to 200 ms per round.
    for (int i = 0; i < 40; ++i) {
      auto pids = pids_below(dirs);
      if (!pids) return unexpected(pids.error());
      left = pids->size();
      if (left == 0) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return fail(std::to_string(left) + " process(es) still in '" + dirs.front() +
              "' after SIGKILL for 5 s");
}

}  // namespace stack::cgroup
