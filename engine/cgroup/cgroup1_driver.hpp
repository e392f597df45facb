#pragma once
// The driver for cgroup v1 hosts and hybrid hosts (v1 controllers plus a controller-less
// cgroup2, which we use to track a container's processes and for cgroup.kill).
// See Documentation/admin-guide/cgroup-v1/*.rst.
#include <map>
#include <optional>
#include <string>

#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

class Cgroup1Driver final : public Driver {
 public:
  // controller_dirs: controller name ("memory", "cpu", "cpuacct", "pids", "cpuset",
  // "blkio", "freezer") -> the group our groups go beneath in that hierarchy.
  // Co-mounted controllers ("cpu,cpuacct") map to the same directory.
  // unified_dir: the cgroup2 starting group on a hybrid host.
  Cgroup1Driver(std::map<std::string, std::string> controller_dirs,
                std::optional<std::string> unified_dir)
      : dirs_(std::move(controller_dirs)), unified_(std::move(unified_dir)) {}

  Mode mode() const override { return unified_ ? Mode::kHybrid : Mode::kLegacy; }
  Result<std::vector<std::string>> check(const Limits& limits, Enforcement e) const override;
  Result<bool> create(const std::string& rel) override;
  bool exists(const std::string& rel) const override;
  Result<std::vector<std::string>> apply(const std::string& rel, const Limits& limits,
                                         Enforcement e) override;
  Result<UniqueFd> clone_into_fd(const std::string& rel) override;
  Result<void> place_pid(const std::string& rel, pid_t pid) override;
  std::vector<std::string> join_files(const std::string& rel) const override;
  Result<OomWatch> watch_oom(const std::string& rel) override;
  Result<uint64_t> oom_kill_count(const std::string& rel) override;
  Result<Stats> stats(const std::string& rel) override;
  Result<std::vector<pid_t>> pids(const std::string& rel) override;
  Result<void> kill_all(const std::string& rel) override;
  // cgroup1_freeze.cpp
  Result<void> freeze(const std::string& rel, bool frozen) override;
  Result<bool> frozen(const std::string& rel) override;
  Result<bool> remove(const std::string& rel) override;
  Result<void> prune_empty(const std::string& rel) override;

 private:
  // Each distinct hierarchy directory once (co-mounted controllers share one).
  std::vector<std::string> hierarchy_dirs() const;
  std::optional<std::string> dir_of(const std::string& controller) const;

  std::map<std::string, std::string> dirs_;
  std::optional<std::string> unified_;
};

}  // namespace stack::cgroup
