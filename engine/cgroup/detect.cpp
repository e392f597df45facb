#include "engine/cgroup/cgroup1_driver.hpp"
#include "engine/cgroup/cgroup2_driver.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/cgroup/host.hpp"
#include "engine/cgroup/parent.hpp"

namespace stack::cgroup {

Result<std::unique_ptr<Driver>> make_driver(const HostLayout& layout, const Parent& parent) {
  auto below = [&](const std::string& dir) { return parent.path.empty() ? dir : dir + "/" + parent.path; };
  // cgroup v2 lets a group hand controllers to its children only while it holds no
  // processes, the root excepted; the group this process starts in holds at least this
  // process (a login session's scope holds the shell too). So on a unified host the
  // stack's groups go beneath the top of the cgroup2 mount (the root, or a cgroup
  // namespace's root), the same for up, the supervisor and a later down from anywhere;
  // a relative parent is below that top too.
  if (layout.mode == Mode::kUnified)
    return std::unique_ptr<Driver>(std::make_unique<Cgroup2Driver>(below(*layout.unified_mount)));
  // The v1 controllers we use; devices, net_cls and the rest stay untouched.
  std::map<std::string, std::string> dirs;
  for (const char* c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer"}) {
    const auto& from = parent.absolute ? layout.v1_mounts : layout.v1_dirs;
    if (auto it = from.find(c); it != from.end()) dirs.emplace(c, below(it->second));
  }
  std::optional<std::string> unified;
  if (layout.mode == Mode::kHybrid) unified = below(parent.absolute ? *layout.unified_mount : *layout.unified_dir);
  return std::unique_ptr<Driver>(std::make_unique<Cgroup1Driver>(std::move(dirs), std::move(unified)));
}

Result<std::unique_ptr<Driver>> make_host_driver() { return make_host_driver(Parent{}); }

}  // namespace stack::cgroup
