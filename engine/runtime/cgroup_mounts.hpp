#pragma once
// /sys/fs/cgroup inside a container on a cgroup v1 or hybrid host, as Docker makes it: a
// tmpfs holding one mount per host hierarchy that has controllers (named like the host's:
// "memory", "cpu,cpuacct"), plus "unified" for the cgroup2 tree of a hybrid host. Each is
// a fresh cgroup mount made inside the container's cgroup namespace, so its root is the
// container's own group (cgroup_namespaces(7)) and memory.limit_in_bytes reads the limit.
// Hierarchies without controllers (name=systemd) are left out: the container is not
// placed in them, so their root would be the host's.
#include <vector>

#include "engine/cgroup/host.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// The mounts below the /sys/fs/cgroup tmpfs for the host's cgroup mounts (mountinfo).
std::vector<Mount> cgroup_v1_mounts(const std::vector<cgroup::CgroupMount>& host);

}  // namespace stack::engine::runtime
