#include "engine/cgroup/cgroup1_driver.hpp"

#include <signal.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <fcntl.h>

#include "engine/cgroup/cgroup1_limits.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/io_scheduler.hpp"
#include "engine/cgroup/limits_common.hpp"
#include "engine/cgroup/path.hpp"
#include "engine/cgroup/requirements.hpp"

namespace stack::cgroup {
namespace {

// Documentation/admin-guide/cgroup-v1/cpusets.rst: a new cpuset has empty cpus and mems,
// and a task cannot join it (ENOSPC) until both are set; copy them from the parent.
Result<void> copy_cpuset_from_parent(const std::string& dir) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
    auto v = fs::read_value(parent + "/" + file);
    if (!v) return unexpected(v.error());
    if (v->empty()) continue;
    auto w = fs::write_value(dir + "/" + file, *v);
    if (!w) return unexpected(w.error());
  }
  return {};
}

// A group made below one whose cgroup.clone_children is 1 has its parent's cpus and mems
// from the mkdir on (cpusets.rst 1.8), and the flag too: the groups this makes above the
// one asked for (leaf) are set so, and a container's group then takes one read instead
// of the copy's four file operations, on the loop.
Result<void> new_cpuset(const std::string& dir, const std::string& leaf) {
  auto cpus = fs::read_value(dir + "/cpuset.cpus");  // unreadable: the copy says why
  if (!cpus || cpus->empty()) STACK_TRY(copy_cpuset_from_parent(dir));
  if (dir != leaf) STACK_TRY(fs::write_value(dir + "/cgroup.clone_children", "1"));
  return {};
}

}  // namespace

std::vector<std::string> Cgroup1Driver::hierarchy_dirs() const {
  std::vector<std::string> out;
  for (const auto& [controller, dir] : dirs_)
    if (std::find(out.begin(), out.end(), dir) == out.end()) out.push_back(dir);
  return out;
}

std::optional<std::string> Cgroup1Driver::dir_of(const std::string& controller) const {
  auto it = dirs_.find(controller);
  if (it == dirs_.end()) return std::nullopt;
  return it->second;
}

Result<std::vector<std::string>> Cgroup1Driver::check(const Limits& limits, Enforcement e) const {
  STACK_TRY(check_limit_values(limits));
  auto has_controller = [&](const std::string& c) { return dirs_.count(c) > 0; };
  auto has_file = [&](const Requirement& r) {
    if (!r.probe_at_base) return true;
    for (const std::string& f : r.files)
      if (fs::exists(*dir_of(r.controller) + "/" + f)) return true;
    return false;
  };
  auto verdict = judge(v1_requirements(limits), e, has_controller, has_file, host_proportional_io);
  if (!verdict) return unexpected(verdict.error());
  return verdict->warnings;
}

Result<bool> Cgroup1Driver::create(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  bool created = false;
  std::optional<std::string> cpuset = dir_of("cpuset");
  for (const std::string& base : hierarchy_dirs()) {
    std::function<Result<void>(const std::string&)> on_new;
    if (cpuset && base == *cpuset)
      on_new = [leaf = base + "/" + rel](const std::string& dir) { return new_cpuset(dir, leaf); };
    auto r = fs::make_below(base, rel, nullptr, on_new);
    if (!r) return unexpected(r.error());
    created = created || *r;
  }
  if (unified_) {
    auto r = fs::make_below(*unified_, rel, nullptr, nullptr);
    if (!r) return unexpected(r.error());
    created = created || *r;
  }
  return created;
}

bool Cgroup1Driver::exists(const std::string& rel) const {
  if (!check_relative(rel)) return false;
  std::vector<std::string> dirs = hierarchy_dirs();
  if (unified_) dirs.push_back(*unified_);
  for (const std::string& base : dirs)
    if (fs::exists(base + "/" + rel)) return true;
  return false;
}

Result<std::vector<std::string>> Cgroup1Driver::apply(const std::string& rel, const Limits& limits,
                                                      Enforcement e) {
  STACK_TRY(check_relative(rel));
  STACK_TRY(check_limit_values(limits));
  for (const std::string& base : hierarchy_dirs())
    if (!fs::exists(base + "/" + rel))
      return fail("cgroup '" + base + "/" + rel + "' does not exist (create it first)");
  auto has_controller = [&](const std::string& c) { return dirs_.count(c) > 0; };
  auto has_file = [&](const Requirement& r) {
    for (const std::string& f : r.files)
      if (fs::exists(*dir_of(r.controller) + "/" + rel + "/" + f)) return true;
    return false;
  };
  auto verdict = judge(v1_requirements(limits), e, has_controller, has_file, host_proportional_io);
  if (!verdict) return unexpected(verdict.error());
  auto leaf = [&](const char* controller) {
    auto d = dir_of(controller);
    return d ? std::optional<std::string>(*d + "/" + rel) : std::nullopt;
  };
  V1Leaves leaves{leaf("memory"), leaf("cpu"), leaf("cpuset"), leaf("pids"), leaf("blkio")};
  auto r = write_v1_limits(leaves, limits, *verdict);
  if (!r) return unexpected(r.error().wrap("applying limits to '" + rel + "'"));
  return verdict->warnings;
}

Result<UniqueFd> Cgroup1Driver::clone_into_fd(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  if (!unified_) return UniqueFd{};  // v1 has no CLONE_INTO_CGROUP: join_files() or place_pid()
  // Hybrid: the unified hierarchy is a cgroup2 one, which clone3 can put the child in.
  std::string dir = *unified_ + "/" + rel;
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("failed to open cgroup '" + dir + "' for CLONE_INTO_CGROUP");
  return fd;
}

std::vector<std::string> Cgroup1Driver::join_files(const std::string& rel) const {
  // tasks, not cgroup.procs: a single-threaded process that writes "0" there moves
  // only itself, which the kernel does without cgroup_threadgroup_rwsem; a
  // cgroup.procs write takes that lock for writing and waits out an RCU grace
  // period (~7 ms here, more under load). The unified group is clone_into_fd()'s.
  std::vector<std::string> out;
  for (const std::string& base : hierarchy_dirs()) out.push_back(base + "/" + rel + "/tasks");
  return out;
}

Result<void> Cgroup1Driver::place_pid(const std::string& rel, pid_t pid) {
  STACK_TRY(check_relative(rel));
  std::vector<std::string> files;
  for (const std::string& base : hierarchy_dirs()) files.push_back(base + "/" + rel + "/cgroup.procs");
  if (unified_) files.push_back(*unified_ + "/" + rel + "/cgroup.procs");
  for (const std::string& file : files) {
    auto r = fs::write_value(file, std::to_string(pid));
    if (!r) return unexpected(r.error().wrap("placing pid " + std::to_string(pid)));
  }
  return {};
}

Result<OomWatch> Cgroup1Driver::watch_oom(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  auto memory = dir_of("memory");
  if (!memory) return fail("cannot watch for OOM kills: the memory controller is not mounted");
  std::string dir = *memory + "/" + rel;
  // cgroup-v1/memory.rst "OOM Control": write "<event_fd> <fd of memory.oom_control>" to
  // cgroup.event_control; the eventfd then counts OOM notifications.
  UniqueFd efd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!efd) return fail_errno("eventfd for the OOM watch of '" + dir + "'");
  UniqueFd ofd(::open((dir + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ofd) return fail_errno("failed to open '" + dir + "/memory.oom_control'");
  auto r = fs::write_value(dir + "/cgroup.event_control",
                           std::to_string(efd.get()) + " " + std::to_string(ofd.get()));
  if (!r) return unexpected(r.error());
  return OomWatch(OomWatch::Kind::kEventfd, std::move(efd), std::move(ofd));
}

Result<uint64_t> Cgroup1Driver::oom_kill_count(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  auto memory = dir_of("memory");
  if (!memory) return fail("cannot count OOM kills: the memory controller is not mounted");
  std::string file = *memory + "/" + rel + "/memory.oom_control";
  auto v = fs::read_keyed(file, "oom_kill");
  if (!v) return unexpected(v.error());
  if (!*v) return fail("'" + file + "' has no oom_kill line (kernel older than 4.13)");
  return **v;
}

Result<Stats> Cgroup1Driver::stats(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  return read_v1_stats(dir_of("memory"), dir_of("cpuacct"), dir_of("pids"), dir_of("blkio"), rel);
}

Result<std::vector<pid_t>> Cgroup1Driver::pids(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::vector<std::string> leaves;
  for (const std::string& base : hierarchy_dirs()) leaves.push_back(base + "/" + rel);
  if (unified_) leaves.push_back(*unified_ + "/" + rel);
  return pids_below(leaves);
}

Result<void> Cgroup1Driver::kill_all(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::vector<std::string> leaves;
  for (const std::string& base : hierarchy_dirs())
    if (fs::exists(base + "/" + rel)) leaves.push_back(base + "/" + rel);
  std::optional<std::string> unified_kill;
  if (unified_ && fs::exists(*unified_ + "/" + rel)) {
    leaves.push_back(*unified_ + "/" + rel);
    if (fs::exists(*unified_ + "/" + rel + "/cgroup.kill")) unified_kill = *unified_ + "/" + rel + "/cgroup.kill";
  }
  if (leaves.empty()) return {};
  std::optional<std::string> freezer;
  if (auto f = dir_of("freezer"); f && fs::exists(*f + "/" + rel)) freezer = *f + "/" + rel;
  return kill_until_empty(leaves, [&]() -> Result<void> {
    // Hybrid hosts: the cgroup2 tracking group's cgroup.kill (Linux 5.14) kills all at once.
    if (unified_kill) STACK_TRY(fs::write_value(*unified_kill, "1"));
    return freeze_kill_thaw(freezer, leaves);
  });
}

Result<void> Cgroup1Driver::prune_empty(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::vector<std::string> dirs = hierarchy_dirs();
  if (unified_) dirs.push_back(*unified_);
  for (const std::string& base : dirs) STACK_TRY(fs::prune_empty(base, rel));
  return {};
}

Result<bool> Cgroup1Driver::remove(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  std::vector<std::string> dirs = hierarchy_dirs();
  if (unified_) dirs.push_back(*unified_);
  bool removed = false;
  for (const std::string& base : dirs) {
    auto r = fs::remove_tree(base + "/" + rel);
    if (!r) return unexpected(r.error());
    removed = removed || *r;
  }
  return removed;
}

}  // namespace stack::cgroup
