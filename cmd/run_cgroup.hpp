#pragma once
// The cgroup of one `stack run` container: limits from the service (mem_limit, cpus,
// pids_limit, deploy.resources, ...) enforced or refused (design invariant 7), placement
// before the command runs, OOM detection, and removal.
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/cgroup/parent.hpp"
#include "engine/model/project.hpp"
#include "engine/state/journal.hpp"

namespace stack::cli {

Result<cgroup::Limits> service_limits(const model::Service& s);
// The parent of a service's group: its cgroup_parent, else --cgroup-parent (global), else
// the default. Both were checked where they were read (model, main.cpp).
Result<cgroup::Parent> service_cgroup_parent(const model::Service& s, const std::string& global);
// A journal "cgroup" record's data for rel under parent ({"rel"}, plus "parent" when not
// the default), which up_teardown.cpp's undo reads back.
nlohmann::json cgroup_record(const std::string& rel, const cgroup::Parent& parent);
// Once per parent and journal, before any group of the project goes in it: the parent's
// missing groups are journaled ("cgroup_parent") and made, then the project's group
// under it is journaled ("cgroup"), so a replay removes them after the containers' groups.
Result<void> prepare_cgroup_parent(const cgroup::Parent& parent, const std::string& project, state::Journal& journal);
// Thaws every group of the project (a paused container's frozen process gets no
// SIGKILL on cgroup v1), before its journal is replayed. Best effort: no groups, no freezer: nothing.
void thaw_project(const std::string& project);

// Where RunCgroup::make puts a group, known before anything is made (so `stack run` can
// write its one-off mark first: a SIGKILL between the group's mkdir and the mark left a
// group that no `down` could find).
struct RunCgroupPlace {
  std::string rel;           // stack/<project>/<name>, under the driver's base
  cgroup::Parent parent;     // as given
  cgroup::ParentSplit made;  // the parent's groups missing now, which make() makes
};

class RunCgroup {
 public:
  static Result<RunCgroupPlace> locate(const std::string& project, const std::string& name,
                                       const cgroup::Parent& parent = {});
  // Makes <parent>/stack/<project>/<name> in every hierarchy with the limits written, and
  // the parent's own groups that are missing (made(): removed again by remove() when empty).
  // kWarn: an unenforceable limit is skipped, with a warning (cmd/limit_enforcement.hpp).
  static Result<RunCgroup> make(const std::string& project, const std::string& name, const cgroup::Limits& limits,
                                cgroup::Enforcement e = cgroup::Enforcement::kStrict,
                                const cgroup::Parent& parent = {});
  static Result<RunCgroup> make(const RunCgroupPlace& place, const cgroup::Limits& limits,
                                cgroup::Enforcement e = cgroup::Enforcement::kStrict);
  RunCgroup(RunCgroup&&) = default;
  ~RunCgroup();

  // The group's path under the driver's base (stack/<project>/<name>), as journaled.
  const std::string& rel() const { return rel_; }
  const cgroup::Parent& parent() const { return parent_; }
  // The parent's groups this make() created (missing empty when it made none).
  const cgroup::ParentSplit& made() const { return made_; }
  // v2 and hybrid: a cgroup2 directory fd for CLONE_INTO_CGROUP (-1 on pure v1).
  int clone_fd() const { return fd_.get(); }
  // kWarn: the limits that were not written, one line each ("<limit>: cannot be ...").
  const std::vector<std::string>& warnings() const { return warnings_; }
  // v1/hybrid: the v1 tasks files a process joins by itself (Spec::cgroup_join).
  std::vector<std::string> join_files() const { return driver_ ? driver_->join_files(rel_) : std::vector<std::string>{}; }
  bool oom_killed();
  // A new run of the container starts: the group (and its OOM kill count) outlives runs.
  void mark_run();
  // The kernel OOM-killed a process of the group since mark_run().
  bool oom_killed_since_mark();
  // How many, and an fd that wakes when it may have changed (Driver::watch_oom).
  Result<uint64_t> oom_kills_since_mark();
  Result<cgroup::OomWatch> watch_oom();
  // For `stack stats` and `stack top`.
  Result<cgroup::Stats> stats();
  Result<std::vector<pid_t>> pids();
  // The freezer, for pause/unpause (Driver::freeze, Driver::frozen).
  Result<void> freeze(bool on) {
    if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
    return driver_->freeze(rel_, on);
  }
  Result<bool> frozen() {
    if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
    return driver_->frozen(rel_);
  }
  // Kills what is left and removes the group (idempotent).
  Result<void> remove();

 private:
  RunCgroup(std::unique_ptr<cgroup::Driver> d, std::string rel) : driver_(std::move(d)), rel_(std::move(rel)) {}
  std::unique_ptr<cgroup::Driver> driver_;
  std::string rel_;
  cgroup::Parent parent_;
  cgroup::ParentSplit made_;
  UniqueFd fd_;
  uint64_t oom_mark_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace stack::cli
