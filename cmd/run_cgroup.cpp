#include "cmd/run_cgroup.hpp"

#include "cmd/service_blkio.hpp"
#include "engine/cgroup/parent.hpp"
#include "engine/cgroup/mapping.hpp"
#include "engine/cgroup/path.hpp"

namespace stack::cli {

Result<cgroup::Limits> service_limits(const model::Service& s) {
  cgroup::Limits l;
  const model::Resources* lim = s.deploy && s.deploy->limits ? &*s.deploy->limits : nullptr;
  const model::Resources* res = s.deploy && s.deploy->reservations ? &*s.deploy->reservations : nullptr;
  // compose: the service-level field wins over deploy.resources.
  l.memory = s.mem_limit ? s.mem_limit : lim ? lim->memory : std::nullopt;
  l.memory_swap = s.memswap_limit;
  l.memory_reservation = s.mem_reservation ? s.mem_reservation : res ? res->memory : std::nullopt;
  l.pids = s.pids_limit ? s.pids_limit : lim ? lim->pids : std::nullopt;
  std::optional<double> cpus = s.cpus ? s.cpus : lim ? lim->cpus : std::nullopt;
  if (cpus && *cpus > 0) {
    auto max = cgroup::cpus_to_cpu_max(*cpus);
    if (!max) return unexpected(max.error().wrap("service " + s.name + ": cpus"));
    l.cpu_quota_us = max->quota_us;
    l.cpu_period_us = max->period_us;
  }
  if (s.cpu_shares) l.cpu_shares = static_cast<uint64_t>(*s.cpu_shares);
  if (!s.cpuset.empty()) l.cpuset_cpus = s.cpuset;
  auto blkio = blkio_limits(s);
  if (!blkio) return unexpected(blkio.error());
  l.blkio = std::move(*blkio);
  return l;
}

Result<cgroup::Parent> service_cgroup_parent(const model::Service& s, const std::string& global) {
  auto p = cgroup::parse_parent(s.cgroup_parent.empty() ? global : s.cgroup_parent);
  if (!p) return unexpected(p.error().wrap("service " + s.name + (s.cgroup_parent.empty() ? ": --cgroup-parent" : ": cgroup_parent")));
  return p;
}

nlohmann::json cgroup_record(const std::string& rel, const cgroup::Parent& parent) {
  nlohmann::json r{{"rel", rel}};
  if (!parent.is_default()) r["parent"] = parent.spec();
  return r;
}

Result<void> prepare_cgroup_parent(const cgroup::Parent& parent, const std::string& project, state::Journal& journal) {
  auto split = cgroup::split_parent(parent);
  if (!split) return unexpected(split.error());
  if (!split->missing.empty()) {
    auto rec = journal.add("cgroup_parent", {{"parent", split->existing.spec()}, {"rel", split->missing}});
    if (!rec) return unexpected(rec.error());
    auto made = cgroup::make_parent(parent);
    if (!made) return unexpected(made.error());
  }
  auto rec = journal.add("cgroup", cgroup_record(cgroup::project_path(project), parent));
  if (!rec) return unexpected(rec.error());
  return {};
}

void thaw_project(const std::string& project) {
  auto driver = cgroup::make_host_driver();
  if (driver) (void)(*driver)->freeze(cgroup::project_path(project), false);
}

Result<RunCgroupPlace> RunCgroup::locate(const std::string& project, const std::string& name,
                                         const cgroup::Parent& parent) {
  RunCgroupPlace p{cgroup::project_path(project) + "/" + cgroup::escape_name(name), parent, {}};
  if (!parent.is_default()) {
    auto split = cgroup::split_parent(parent);
    if (!split) return unexpected(split.error());
    if (!split->missing.empty()) p.made = std::move(*split);
  }
  return p;
}

Result<RunCgroup> RunCgroup::make(const std::string& project, const std::string& name, const cgroup::Limits& limits,
                                  cgroup::Enforcement e, const cgroup::Parent& parent) {
  auto place = locate(project, name, parent);
  if (!place) return unexpected(place.error());
  return make(*place, limits, e);
}

Result<RunCgroup> RunCgroup::make(const RunCgroupPlace& place, const cgroup::Limits& limits, cgroup::Enforcement e) {
  const cgroup::Parent& parent = place.parent;
  cgroup::ParentSplit made;
  if (!place.made.missing.empty()) {
    made = place.made;
    if (auto m = cgroup::make_parent(parent); !m) {
      (void)cgroup::prune_parent(made);
      return unexpected(m.error());
    }
  }
  auto driver = cgroup::make_host_driver(parent);
  if (!driver) return unexpected(driver.error());
  RunCgroup g(std::move(*driver), place.rel);
  g.parent_ = parent;
  g.made_ = std::move(made);
  auto warnings = g.driver_->check(limits, e);
  if (!warnings) {
    (void)g.remove();
    return unexpected(warnings.error());
  }
  auto created = g.driver_->create(g.rel_);
  if (!created) return unexpected(created.error());
  auto applied = g.driver_->apply(g.rel_, limits, e);
  if (!applied) {
    (void)g.remove();
    return unexpected(applied.error());
  }
  auto fd = g.driver_->clone_into_fd(g.rel_);
  if (!fd) {
    (void)g.remove();
    return unexpected(fd.error());
  }
  g.fd_ = std::move(*fd);
  g.warnings_ = std::move(*applied);  // apply judges every limit again, in the group itself
  return g;
}

bool RunCgroup::oom_killed() {
  auto n = driver_->oom_kill_count(rel_);
  return n && *n > 0;
}

void RunCgroup::mark_run() {
  if (!driver_) return;
  auto n = driver_->oom_kill_count(rel_);
  oom_mark_ = n ? *n : 0;
}

bool RunCgroup::oom_killed_since_mark() {
  auto n = oom_kills_since_mark();
  return n && *n > 0;
}

Result<uint64_t> RunCgroup::oom_kills_since_mark() {
  if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
  auto n = driver_->oom_kill_count(rel_);
  if (!n) return unexpected(n.error());
  return *n > oom_mark_ ? *n - oom_mark_ : 0;
}

Result<cgroup::OomWatch> RunCgroup::watch_oom() {
  if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
  return driver_->watch_oom(rel_);
}

Result<cgroup::Stats> RunCgroup::stats() {
  if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
  return driver_->stats(rel_);
}

Result<std::vector<pid_t>> RunCgroup::pids() {
  if (!driver_) return fail("cgroup '" + rel_ + "' was removed");
  return driver_->pids(rel_);
}

Result<void> RunCgroup::remove() {
  if (!driver_) return {};
  fd_.reset();
  STACK_TRY(driver_->kill_all(rel_));
  auto removed = driver_->remove(rel_);
  if (!removed) return unexpected(removed.error());
  // The project's and stack's own groups go too once nothing else of theirs runs.
  auto slash = rel_.find_last_of('/');
  if (slash != std::string::npos) STACK_TRY(driver_->prune_empty(rel_.substr(0, slash)));
  driver_.reset();
  return cgroup::prune_parent(made_);
}

RunCgroup::~RunCgroup() { (void)remove(); }

}  // namespace stack::cli
