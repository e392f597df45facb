#pragma once
// The runtime's input: a plain value that mirrors the OCI runtime spec (process, root,
// mounts, namespaces, sysctls, masked/read-only paths, seccomp), so that the stack file
// is only one front end to it. Nothing here touches the kernel; defaults.hpp builds
// Docker's defaults and plan.hpp turns a Spec into what the child executes.
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/seccomp_profile.hpp"

namespace stack::engine::runtime {

struct Rlimit {
  int resource = 0;  // RLIMIT_* (setrlimit(2))
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct User {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
};

// Capability sets as masks of (1 << CAP_*), as /proc/<pid>/status prints them.
struct CapSets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

struct Process {
  std::vector<std::string> args;  // args[0] is looked up in PATH of env when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  User user;
  // When set, "name", "uid", "name:group", "uid:gid": resolved by the launcher from the
  // image's /etc/passwd and /etc/group (read by the parent, before the clone) into user.
  std::string user_name;
  std::vector<std::string> group_add;  // extra groups by name or number (compose group_add)
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  CapSets capabilities;
  // OCI process.terminal: a pty from the container's own devpts (its /dev/ptmx, opened
  // after pivot_root): the slave becomes 0, 1, 2 and the controlling terminal, the master
  // comes back to the launcher (Container::take_pty_master()). stdio is then unused.
  bool terminal = false;
  unsigned short console_rows = 0, console_cols = 0;  // OCI consoleSize; 0: the kernel's 0x0
};

struct Root {
  std::vector<std::string> layers;  // absolute dirs, lowest first (image store order)
  bool readonly = false;            // compose read_only: the rootfs is remounted ro
};

struct Mount {
  std::string destination;           // absolute path inside the container
  std::string type;                  // "bind", "tmpfs", "proc", ...
  std::string source;                // host path for bind, fs name otherwise
  std::vector<std::string> options;  // "ro", "nosuid", "rbind", "mode=1777", "size=64m", ...
};

enum class NamespaceType { kPid, kMount, kUts, kIpc, kNet, kCgroup, kUser };

struct Namespace {
  NamespaceType type = NamespaceType::kPid;
  std::string path;  // empty: a new namespace; else join this one (e.g. /run/netns/x)
};

struct IdMap {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

// A device node in the container's /dev (OCI linux.devices). The host's node is
// bind-mounted (its mode applies) because everything else a container can write to is
// mounted nodev: a node the container makes itself with CAP_MKNOD cannot be opened.
struct Device {
  std::string path;    // in the container: "/dev/null"
  std::string source;  // the host's node; empty: the same path
  char type = 'c';     // 'c' or 'b': checked against the host node
  uint32_t major = 0;
  uint32_t minor = 0;
};

// The fds that become the container's 0, 1 and 2 (the caller keeps ownership).
struct Stdio {
  int in = 0;
  int out = 1;
  int err = 2;
};

// Contents of the files the parent writes and bind-mounts over /etc/hostname, /etc/hosts
// and /etc/resolv.conf (Docker provides all three).
struct EtcFiles {
  std::string hosts;
  std::string resolv_conf;
};

struct Spec {
  Process process;
  Root root;
  std::string hostname;
  std::string domainname;  // NIS domain of the UTS namespace (compose domainname); "": unset
  std::vector<Mount> mounts;  // applied in order, after the rootfs
  std::vector<Namespace> namespaces;
  std::vector<IdMap> uid_mappings;  // only with a user namespace
  std::vector<IdMap> gid_mappings;
  std::map<std::string, std::string> sysctls;  // namespaced ones only (checked by the plan)
  std::vector<Device> devices;  // /dev is a tmpfs holding only these (and the pts pair)
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::shared_ptr<const SeccompProfile> seccomp;  // null: unconfined
  EtcFiles etc;
  Stdio stdio;
  bool init = false;     // compose init: our reaper is PID 1, the command its child
  int cgroup_fd = -1;    // a cgroup directory fd for CLONE_INTO_CGROUP; -1: none
  // v1/hybrid: the files the child writes "0" into right after the clone, before go and
  // before anything of the container runs (Driver::join_files: each v1 hierarchy's tasks
  // file, which moves the single-threaded child without the grace period a cgroup.procs
  // write waits for).
  std::vector<std::string> cgroup_join;
  std::string image;     // the image's name, for error messages ("... in image web:1")
};

bool has_namespace(const Spec& spec, NamespaceType type);

}  // namespace stack::engine::runtime
