#include "engine/supervisor/exec_target.hpp"

#include <set>

#include "engine/cgroup/host.hpp"

namespace stack::supervisor {

Result<engine::runtime::ExecTarget> exec_target(const engine::runtime::Container& c, int cgroup_fd,
                                                std::vector<std::string> join, std::string name) {
  engine::runtime::ExecTarget t;
  t.name = std::move(name);
  t.pid = c.pid();
  t.pidfd = c.pidfd();
  t.spec = &c.spec();
  t.cgroup_fd = cgroup_fd;
  t.cgroup_join = std::move(join);
  if (cgroup_fd >= 0 || !t.cgroup_join.empty()) return t;
  // /proc/<pid>/cgroup shows paths relative to the READER's cgroup namespace root
  // (cgroup_namespaces(7)), so the container's own namespace does not hide them.
  auto mounts = cgroup::read_cgroup_mounts();
  if (!mounts) return unexpected(mounts.error());
  auto groups = cgroup::read_proc_cgroup("/proc/" + std::to_string(c.pid()) + "/cgroup");
  if (!groups) return unexpected(groups.error().wrap("cgroup of container " + t.name));
  auto layout = cgroup::make_layout(*mounts, *groups);
  if (!layout) return unexpected(layout.error().wrap("cgroup of container " + t.name));
  std::set<std::string> dirs;  // co-mounted controllers share a directory
  for (const auto& [controller, dir] : layout->v1_dirs) dirs.insert(dir);
  for (const auto& d : dirs) t.cgroup_join.push_back(d + "/tasks");  // see Cgroup1Driver::join_files
  if (layout->unified_dir) t.cgroup_join.push_back(*layout->unified_dir + "/cgroup.procs");
  return t;
}

}  // namespace stack::supervisor
