#include "engine/runtime/cgroup_mounts.hpp"

namespace stack::engine::runtime {

std::vector<Mount> cgroup_v1_mounts(const std::vector<cgroup::CgroupMount>& host) {
  static const std::string kBase = "/sys/fs/cgroup/";
  std::vector<Mount> out;
  for (const auto& m : host) {
    if (m.mount_point.rfind(kBase, 0) != 0) continue;
    std::string name = m.mount_point.substr(kBase.size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    std::vector<std::string> opts = {"nosuid", "noexec", "nodev", "ro"};
    if (m.v2) {
      out.push_back({"/sys/fs/cgroup/" + name, "cgroup2", "cgroup2", opts});
      continue;
    }
    if (m.controllers.empty()) continue;
    opts.insert(opts.end(), m.controllers.begin(), m.controllers.end());  // the mount data: "cpu,cpuacct"
    out.push_back({"/sys/fs/cgroup/" + name, "cgroup", "cgroup", opts});
  }
  return out;
}

}  // namespace stack::engine::runtime
