#pragma once
// The driver for a unified (pure cgroup v2) host. See Documentation/admin-guide/cgroup-v2.rst.
#include <string>

#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

class Cgroup2Driver final : public Driver {
 public:
  // base_dir: the group our groups go beneath, e.g. "/sys/fs/cgroup" or a parent below it.
  explicit Cgroup2Driver(std::string base_dir) : base_(std::move(base_dir)) {}

  Mode mode() const override { return Mode::kUnified; }
  Result<std::vector<std::string>> check(const Limits& limits, Enforcement e) const override;
  Result<bool> create(const std::string& rel) override;
  bool exists(const std::string& rel) const override;
  Result<std::vector<std::string>> apply(const std::string& rel, const Limits& limits,
                                         Enforcement e) override;
  Result<UniqueFd> clone_into_fd(const std::string& rel) override;
  Result<void> place_pid(const std::string& rel, pid_t pid) override;
  Result<OomWatch> watch_oom(const std::string& rel) override;
  Result<uint64_t> oom_kill_count(const std::string& rel) override;
  Result<Stats> stats(const std::string& rel) override;
  Result<std::vector<pid_t>> pids(const std::string& rel) override;
  Result<void> kill_all(const std::string& rel) override;
  // cgroup2_freeze.cpp
  Result<void> freeze(const std::string& rel, bool frozen) override;
  Result<bool> frozen(const std::string& rel) override;
  Result<bool> remove(const std::string& rel) override;
  Result<void> prune_empty(const std::string& rel) override;

  const std::string& base() const { return base_; }

 private:
  std::string base_;
};

}  // namespace stack::cgroup
