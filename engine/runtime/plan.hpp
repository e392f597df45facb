#pragma once
// The launch as a plan of data (style rule 5). build_plan() turns a Spec into a
// ChildPlan: every path, flag, string, argv/envp array and the seccomp program the
// child needs, prepared before the clone. child.cpp executes it with system calls only.
// Unit tests check the plan without a kernel.
#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

enum class OpKind : uint8_t {
  kMkdir,        // make dir `name` in `parent` (resolved in the rootfs); existing is fine
  kMkfile,       // make an empty regular file `name` in `parent`; existing is fine
  kMount,        // mount(source, path, fstype, flags, data) on path resolved in the rootfs
  kBindRemount,  // path again (now the new mount): mount(NULL, path, NULL, MS_REMOUNT|MS_BIND|flags)
  kSymlink,      // symlinkat(source, parent, name); existing is fine
  kMask,         // a file: /dev/null bound over it; a dir: an empty read-only tmpfs; absent: skip
  kReadonly,     // bind path onto itself, then remount it read-only; absent: skip
  kSysctl,       // write source into path (a /proc/sys file of the container's own /proc)
};

struct ChildOp {
  OpKind kind = OpKind::kMkdir;
  std::string path;    // absolute, inside the container
  std::string parent;  // for kMkdir/kMkfile/kSymlink: dirname(path)
  std::string name;    // and basename(path)
  std::string source;
  std::string fstype;
  std::string data;
  unsigned long flags = 0;
  mode_t mode = 0;
  bool optional = false;  // a failure is ignored (the working dir is checked later anyway)
  int source_fd = -1;     // kMount bind: a detached copy of source (open_tree) to move in

  // For error messages, in the parent: "mounting proc on /proc".
  std::string describe() const;
};

struct ChildPlan {
  std::string rootfs;  // host path of the container's mounted rootfs
  std::string rootfs_dir, rootfs_name;  // its dirname and basename
  std::vector<ChildOp> ops;
  bool readonly_root = false;
  std::string hostname;
  bool set_hostname = false;
  std::vector<Rlimit> rlimits;
  User user;
  CapSets caps;
  int last_cap = 40;
  bool no_new_privs = false;
  bool has_seccomp = false;
  std::vector<sock_filter> seccomp;
  std::string cwd = "/";
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<std::string> exec_candidates;  // args[0], or each PATH dir + "/" + args[0]
  bool init = false;
  // A pty from the container's /dev/ptmx becomes stdio and the controlling terminal; its
  // master goes back on the sync channel (kPtyMaster). With the window size, if not 0.
  bool terminal = false;
  unsigned short pty_rows = 0, pty_cols = 0;
  int stdio[3] = {0, 1, 2};
  std::vector<std::pair<int, int>> join_ns;  // (fd, CLONE_NEW*) to setns into, fds owned by the launcher
  int clone_flags = 0;                        // CLONE_NEW* for the namespaces to create
  bool unshare_cgroup = false;                // CLONE_NEWCGROUP, made once in the cgroup (see plan.cpp)
  std::vector<int> cgroup_join;               // tasks/cgroup.procs fds to write "0" into before go, owned by the launcher
  bool loopback_up = false;                   // a new net namespace: lo starts down (Docker raises it)
  bool userns_root = false;                   // a new user namespace: become its root after go
  // The rootfs is built (mounts, pivot_root, hostname, rlimits) before go, while the
  // launcher sets up the network, and only exec waits for go. Set by the launcher at the
  // clone: not with a user namespace (the id maps come first), namespaces to join (the
  // launcher's to open) or a cgroup the launcher moves the child into (no CLONE_INTO_CGROUP).
  bool build_before_go = false;
  // A sysctl of one of the container's interfaces (net.ipv4.conf.eth0.rp_filter): its
  // file exists only once the launcher has made the link, so the rootfs waits for go.
  bool sysctls_need_links = false;
  // The child's end of the sync socket, set by the launcher at the clone.
  int sync_fd = -1;

  // Pointer arrays for execve, built by seal() right before the clone so that the
  // child allocates nothing.
  std::vector<char*> argv;
  std::vector<char*> envp;
  // Every fd above 2 the child uses (stdio, namespaces, cgroup.procs, mount sources, and
  // the sync socket, which the launcher adds), sorted by seal(): the child closes all
  // others first thing, before it waits for go (a launcher with threads may be making
  // another container meanwhile, whose sync socket and log pipes it must not hold).
  std::vector<int> keep_fds;
  void keep_fd(int fd);
  void seal();
};

// Paths of the files the parent wrote for /etc (bind-mounted read-write, as Docker does).
struct EtcPaths {
  std::string hosts;
  std::string hostname;
  std::string resolv_conf;
};

// spec.process.user must already be resolved (users.hpp). rootfs is the host path of the
// mounted overlay; the ops that create mount targets resolve them inside it.
Result<ChildPlan> build_plan(const Spec& spec, const std::string& rootfs, const EtcPaths& etc);

// CLONE_NEW* for a namespace type.
int clone_flag(NamespaceType t);
// The spec's seccomp profile compiled into plan (nothing when unconfined).
Result<void> add_seccomp(ChildPlan& plan, const Spec& spec);
// /proc/sys/kernel/cap_last_cap (40 if unreadable).
int read_last_cap();
// The paths execve tries for p.args[0]: itself when it has a '/', else each dir of PATH
// in p.env (Docker's default PATH when unset) + "/" + args[0] (execvp(3)).
std::vector<std::string> exec_candidates(const Process& p);

// Mount options ("ro", "nosuid", "rbind", "mode=755", ...) to mount(2) flags and data.
struct MountFlags {
  unsigned long flags = 0;    // MS_* for mount(2), without MS_BIND/MS_REC
  unsigned long cleared = 0;  // MS_* an option asks to be off ("rw", "dev", "exec", ...)
  std::string data;         // the filesystem-specific rest, comma-joined
  bool bind = false;
  bool recursive = false;
};
MountFlags parse_mount_options(const std::vector<std::string>& options);

// Mount ops for one spec mount, after the dirs/files that make its target exist.
// source_type: a bind's source's S_IFMT (S_IFDIR: a directory to mount on; anything
// else: a file); 0 for other mounts.
void add_mount_ops(std::vector<ChildOp>& ops, const Mount& m, mode_t source_type);
// The ops that make every ancestor of path and path itself (as dir or file).
void add_path_ops(std::vector<ChildOp>& ops, const std::string& path, bool as_file, bool optional = false);

// Drops each kMkdir op whose directory an earlier op of the list already made, as long
// as no mount since then may hide it (a mount, mask or read-only bind on it or on one of
// its ancestors). add_path_ops makes every ancestor of every target, so the ~50 mounts
// of a container repeated "/sys", "/sys/fs", "/sys/fs/cgroup" ... : three system calls
// each in the child (openat2 of the parent, mkdirat, close).
void drop_repeated_mkdirs(std::vector<ChildOp>& ops);

// "net.ipv4.ip_forward" -> ok if namespaced for this spec, else an error saying why not.
Result<void> check_sysctl(const Spec& spec, const std::string& key);

}  // namespace stack::engine::runtime
