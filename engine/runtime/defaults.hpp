#pragma once
// Docker's defaults (design invariant 5), as values for a Spec: the capability set,
// masked and read-only paths, the /dev content, the default mounts and the seccomp
// profile. Anything weaker must be asked for by name in the stack file.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
// SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP: /proc/self/status shows CapEff 00000000a80425fb.
constexpr uint64_t kDockerDefaultCaps = 0xa80425fbULL;

std::vector<std::string> default_capability_names();
std::vector<std::string> default_masked_paths();
std::vector<std::string> default_readonly_paths();
std::vector<Device> default_devices();
// /proc, /dev, /dev/pts, /dev/shm (shm_size bytes), /dev/mqueue, /sys, /sys/fs/cgroup.
// On a unified (cgroup v2) host /sys/fs/cgroup is the container's cgroup2 namespace
// root, read-only; on a v1/hybrid host it is an empty read-only tmpfs.
std::vector<Mount> default_mounts(uint64_t shm_size, bool unified_cgroup);
// True when /sys/fs/cgroup is a cgroup2 mount (statfs(2) CGROUP2_SUPER_MAGIC).
bool host_cgroup_is_unified();
std::string default_hosts(const std::string& hostname);

constexpr uint64_t kDefaultShmSize = 64ULL << 20;  // Docker's 64 MiB
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A complete spec with Docker's defaults: every namespace but user, the default caps,
// seccomp profile, masks, /dev and mounts, PATH and HOSTNAME in the environment.
Spec default_spec(std::vector<std::string> args, std::vector<std::string> layers, std::string hostname);

}  // namespace stack::engine::runtime
