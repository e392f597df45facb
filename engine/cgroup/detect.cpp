#include "engine/cgroup/cgroup1_driver.hpp"
#include "engine/cgroup/cgroup2_driver.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/cgroup/host.hpp"

namespace stack::cgroup {

Result<std::unique_ptr<Driver>> make_host_driver() {
  auto layout = read_host_layout();
  if (!layout) return unexpected(layout.error().wrap("detecting the cgroup layout"));
  // cgroup v2 lets a group hand controllers to its children only while it holds no
  // processes, the root excepted; the group this process starts in holds at least this
  // process (a login session's scope holds the shell too). So on a unified host the
  // stack's groups go beneath the top of the cgroup2 mount (the root, or a cgroup
  // namespace's root), the same for up, the supervisor and a later down from anywhere.
  if (layout->mode == Mode::kUnified)
    return std::unique_ptr<Driver>(std::make_unique<Cgroup2Driver>(*layout->unified_mount));
  // The v1 controllers we use; devices, net_cls and the rest stay untouched.
  std::map<std::string, std::string> dirs;
  for (const char* c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer"})
    if (auto it = layout->v1_dirs.find(c); it != layout->v1_dirs.end()) dirs.emplace(c, it->second);
  std::optional<std::string> unified;
  if (layout->mode == Mode::kHybrid) unified = layout->unified_dir;
  return std::unique_ptr<Driver>(std::make_unique<Cgroup1Driver>(std::move(dirs), std::move(unified)));
}

}  // namespace stack::cgroup
