#include "engine/runtime/defaults.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include "engine/runtime/caps.hpp"
#include "engine/runtime/cgroup_mounts.hpp"

namespace stack::engine::runtime {

std::vector<std::string> default_capability_names() { return cap_names(kDockerDefaultCaps); }

std::vector<std::string> default_masked_paths() {
  return {"/proc/asound",        "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
          "/proc/keys",          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
          "/proc/sched_debug",   "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap"};
}

std::vector<std::string> default_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

std::vector<Device> default_devices() {
  return {{"/dev/null", "", 'c', 1, 3},   {"/dev/zero", "", 'c', 1, 5},    {"/dev/full", "", 'c', 1, 7},
          {"/dev/random", "", 'c', 1, 8}, {"/dev/urandom", "", 'c', 1, 9}, {"/dev/tty", "", 'c', 5, 0}};
}

std::vector<Mount> default_mounts(uint64_t shm_size, bool unified_cgroup) {
  std::string shm = "size=" + std::to_string(shm_size);
  std::vector<Mount> m = {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "nodev", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", shm}},
  };
  if (unified_cgroup)
    m.push_back({"/sys/fs/cgroup", "cgroup2", "cgroup", {"nosuid", "noexec", "nodev", "ro"}});
  if (unified_cgroup) return m;
  m.push_back({"/sys/fs/cgroup", "tmpfs", "tmpfs", {"nosuid", "noexec", "nodev", "ro", "mode=755", "size=64k"}});
  auto host = cgroup::read_cgroup_mounts();
  if (host)  // unreadable mountinfo: the tmpfs stays empty, as it was before this existed
    for (auto& sub : cgroup_v1_mounts(*host)) m.push_back(std::move(sub));
  return m;
}

bool host_cgroup_is_unified() {
  struct statfs s {};
  return ::statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

std::string default_hosts(const std::string& hostname) {
  std::string h = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  if (!hostname.empty()) h += "127.0.1.1\t" + hostname + "\n";
  return h;
}

Spec default_spec(std::vector<std::string> args, std::vector<std::string> layers, std::string hostname) {
  Spec s;
  s.process.args = std::move(args);
  s.process.env = {std::string("PATH=") + kDefaultPath, "HOSTNAME=" + hostname};
  s.process.capabilities = caps_from_mask(kDockerDefaultCaps);
  s.root.layers = std::move(layers);
  s.hostname = std::move(hostname);
  s.mounts = default_mounts(kDefaultShmSize, host_cgroup_is_unified());
  for (auto t : {NamespaceType::kPid, NamespaceType::kMount, NamespaceType::kUts, NamespaceType::kIpc,
                 NamespaceType::kNet, NamespaceType::kCgroup})
    s.namespaces.push_back({t, ""});
  s.devices = default_devices();
  s.masked_paths = default_masked_paths();
  s.readonly_paths = default_readonly_paths();
  s.seccomp = shared_docker_default_seccomp();
  s.etc.hosts = default_hosts(s.hostname);
  return s;
}

bool has_namespace(const Spec& spec, NamespaceType type) {
  for (const auto& n : spec.namespaces)
    if (n.type == type) return true;
  return false;
}

}  // namespace stack::engine::runtime
