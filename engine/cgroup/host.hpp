#pragma once
// Where the host's cgroup hierarchies are and where this process starts in them.
// Parsers take strings, readers are thin (style.md rule 11): parse_* are unit-tested
// with v1, v2 and hybrid samples; read_* only read the /proc files.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

// One cgroup or cgroup2 mount from /proc/self/mountinfo (proc(5)).
struct CgroupMount {
  std::string mount_point;               // "/sys/fs/cgroup/memory"
  std::string root;                      // the hierarchy path mounted there, usually "/"
  bool v2 = false;                       // fstype cgroup2
  std::vector<std::string> controllers;  // v1 super options that name controllers
};
Result<std::vector<CgroupMount>> parse_cgroup_mounts(std::string_view mountinfo);
// The default paths (/proc/self/mountinfo here, /proc/self/cgroup below) are read once
// per process, at the first good read: the hierarchies are mounted at boot, and no
// process of ours moves itself to another cgroup (a container's child joins its groups
// and never asks). The supervisor used to read both for every container it made, and
// every container's overlay is a line of the host's mountinfo, so that read grew with
// the stack: 2 reads of up to ~45 KB for each of 100 services, on the loop's thread.
Result<std::vector<CgroupMount>> read_cgroup_mounts(const std::string& path = "/proc/self/mountinfo");

// One line of /proc/self/cgroup (cgroups(7)): "hierarchy-ID:controller-list:path".
struct ProcCgroup {
  int hierarchy_id = 0;                  // 0 = the cgroup2 hierarchy
  std::vector<std::string> controllers;  // empty for cgroup2
  std::string path;                      // "/process_api/3e24…"
};
Result<std::vector<ProcCgroup>> parse_proc_cgroup(std::string_view text);
Result<std::vector<ProcCgroup>> read_proc_cgroup(const std::string& path = "/proc/self/cgroup");

// The host, reduced to what a driver needs: for each controller the directory of the
// group this process starts in (mount point + start path below the mount's root).
struct HostLayout {
  Mode mode = Mode::kUnified;
  std::optional<std::string> unified_dir;      // cgroup2 starting group, if mounted
  std::optional<std::string> unified_mount;    // where that cgroup2 is mounted (its top)
  std::map<std::string, std::string> v1_dirs;  // controller -> starting group (v1)
  std::map<std::string, std::string> v1_mounts;  // controller -> its hierarchy's mount point (v1)
};
// Combines the two; v1 named hierarchies (name=systemd) are ignored. Fails if there is
// no cgroup filesystem, or this process's group is not visible under the mount.
Result<HostLayout> make_layout(const std::vector<CgroupMount>& mounts,
                               const std::vector<ProcCgroup>& self);
Result<HostLayout> read_host_layout();

struct Parent;
// The driver for this layout whose base is `parent` (parent.hpp) below the default base
// or each hierarchy's top.
Result<std::unique_ptr<Driver>> make_driver(const HostLayout& layout, const Parent& parent);

}  // namespace stack::cgroup
