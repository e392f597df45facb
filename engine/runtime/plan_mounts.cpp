// The mount part of the plan: option parsing, the ops that make a mount's target and
// mount it, and the namespaced-sysctl rule.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <map>

#include "engine/runtime/plan.hpp"

namespace stack::engine::runtime {
namespace {

struct FlagOption {
  unsigned long set;
  unsigned long clear;
};

const std::map<std::string, FlagOption>& flag_options() {
  static const std::map<std::string, FlagOption> m = {
      {"ro", {MS_RDONLY, 0}},          {"rw", {0, MS_RDONLY}},
      {"nosuid", {MS_NOSUID, 0}},      {"suid", {0, MS_NOSUID}},
      {"nodev", {MS_NODEV, 0}},        {"dev", {0, MS_NODEV}},
      {"noexec", {MS_NOEXEC, 0}},      {"exec", {0, MS_NOEXEC}},
      {"sync", {MS_SYNCHRONOUS, 0}},   {"async", {0, MS_SYNCHRONOUS}},
      {"dirsync", {MS_DIRSYNC, 0}},    {"noatime", {MS_NOATIME, 0}},
      {"atime", {0, MS_NOATIME}},      {"nodiratime", {MS_NODIRATIME, 0}},
      {"diratime", {0, MS_NODIRATIME}}, {"relatime", {MS_RELATIME, 0}},
      {"norelatime", {0, MS_RELATIME}}, {"strictatime", {MS_STRICTATIME, 0}},
      {"nostrictatime", {0, MS_STRICTATIME}},
  };
  return m;
}

// Propagation options are accepted and ignored: the child makes every mount private
// first (mount_namespaces(7)), so nothing propagates back to the host.
bool is_propagation(const std::string& o) {
  return o == "private" || o == "rprivate" || o == "shared" || o == "rshared" || o == "slave" ||
         o == "rslave" || o == "unbindable" || o == "runbindable";
}

std::pair<std::string, std::string> split_path(const std::string& path) {
  auto pos = path.rfind('/');
  if (pos == std::string::npos) return {"/", path};
  return {pos == 0 ? "/" : path.substr(0, pos), path.substr(pos + 1)};
}

}  // namespace

MountFlags parse_mount_options(const std::vector<std::string>& options) {
  MountFlags out;
  for (const auto& o : options) {
    if (o == "bind" || o == "rbind") {
      out.bind = true;
      out.recursive = out.recursive || o == "rbind";
    } else if (auto it = flag_options().find(o); it != flag_options().end()) {
      out.flags = (out.flags | it->second.set) & ~it->second.clear;
      out.cleared = (out.cleared | it->second.clear) & ~it->second.set;
    } else if (!is_propagation(o)) {
      if (!out.data.empty()) out.data += ",";
      out.data += o;
    }
  }
  return out;
}

void add_path_ops(std::vector<ChildOp>& ops, const std::string& path, bool as_file, bool optional) {
  size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos) {
    auto [parent, name] = split_path(path.substr(0, pos));
    if (name.empty()) continue;
    ChildOp op{OpKind::kMkdir, path.substr(0, pos), parent, name};
    op.mode = 0755;
    op.optional = optional;
    ops.push_back(std::move(op));
  }
  auto [parent, name] = split_path(path);
  if (name.empty()) return;
  ChildOp op{as_file ? OpKind::kMkfile : OpKind::kMkdir, path, parent, name};
  op.mode = as_file ? 0644 : 0755;
  op.optional = optional;
  ops.push_back(std::move(op));
}

void drop_repeated_mkdirs(std::vector<ChildOp>& ops) {
  std::map<std::string, bool> made;  // directory -> whether the op that made it was optional
  std::vector<ChildOp> kept;
  kept.reserve(ops.size());
  for (auto& op : ops) {
    if (op.kind == OpKind::kMkdir) {
      auto it = made.find(op.path);
      // An optional op's failure was ignored: only a later optional one may rely on it.
      if (it != made.end() && (!it->second || op.optional)) continue;
      if (it == made.end()) made.emplace(op.path, op.optional);
      else it->second = false;  // an optional one came first; this one must succeed
    } else if (op.kind == OpKind::kMount || op.kind == OpKind::kMask || op.kind == OpKind::kReadonly ||
               op.kind == OpKind::kSymlink) {
      // What lies below op.path may be hidden now (a symlink replaces op.path itself).
      std::string below = op.path == "/" ? "/" : op.path + "/";
      for (auto it = made.lower_bound(below); it != made.end() && it->first.compare(0, below.size(), below) == 0;)
        it = made.erase(it);
      if (op.kind == OpKind::kSymlink) made.erase(op.path);
    }
    kept.push_back(std::move(op));
  }
  ops = std::move(kept);
}

void add_mount_ops(std::vector<ChildOp>& ops, const Mount& m, mode_t source_type) {
  MountFlags f = parse_mount_options(m.options);
  bool bind = f.bind || m.type == "bind";
  // Without a device cgroup rule (the cgroup part) a node made with CAP_MKNOD on a
  // writable mount could reach a host device: volumes are nodev unless "dev" is asked.
  // The bind of a regular file reaches no inode but that file, so nodev changes nothing
  // there (/etc/hosts and the other two: one mount each instead of two).
  bool wants_dev = std::find(m.options.begin(), m.options.end(), "dev") != m.options.end();
  if (m.type == "tmpfs" && !wants_dev) f.flags |= MS_NODEV;
  if (bind && !wants_dev && source_type != S_IFREG) f.flags |= MS_NODEV;
  add_path_ops(ops, m.destination, bind && source_type != S_IFDIR);
  ChildOp op{OpKind::kMount, m.destination};
  op.source = m.source;
  if (bind) {
    // mount(2): MS_BIND ignores the other flags, and the new mount keeps those of the
    // source's mount (clone_mnt()); a second, remount call sets them. It is needed for
    // flags asked for, or to clear one the source's mount has ("dev" on a nodev mount;
    // the host's /dev has none: a device node is one mount, not two). statvfs(3)'s
    // ST_* flags are the MS_* ones.
    op.flags = MS_BIND | (f.recursive ? MS_REC : 0);
    ops.push_back(op);
    struct statvfs sv {};
    bool clear = !f.flags && f.cleared && (::statvfs(m.source.c_str(), &sv) != 0 || (sv.f_flag & f.cleared));
    if (f.flags || clear) {
      ChildOp re{OpKind::kBindRemount, m.destination};
      re.flags = f.flags;
      ops.push_back(std::move(re));
    }
    return;
  }
  op.fstype = m.type;
  op.flags = f.flags;
  op.data = f.data;
  ops.push_back(std::move(op));
}

Result<void> check_sysctl(const Spec& spec, const std::string& key) {
  // The sysctls the kernel keeps per namespace (what Docker and runc accept).
  static const char* kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                   "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  bool new_net = false, new_ipc = false;
  for (const auto& n : spec.namespaces) {
    if (n.type == NamespaceType::kNet && n.path.empty()) new_net = true;
    if (n.type == NamespaceType::kIpc && n.path.empty()) new_ipc = true;
  }
  bool ipc_key = key.rfind("fs.mqueue.", 0) == 0;
  for (const char* k : kIpcKeys) ipc_key = ipc_key || key == k;
  if (ipc_key) {
    if (new_ipc) return {};
    return fail("sysctl " + key + " needs the container's own ipc namespace");
  }
  if (key.rfind("net.", 0) == 0) {
    if (new_net) return {};
    return fail("sysctl " + key + " needs the container's own network namespace");
  }
  if (key == "kernel.domainname" || key == "kernel.hostname")
    return fail("sysctl " + key + ": set the hostname/domainname option instead");
  return fail("sysctl " + key + " is not namespaced: it would change the host; refusing it");
}

std::string ChildOp::describe() const {
  switch (kind) {
    case OpKind::kMkdir: return "making directory " + path;
    case OpKind::kMkfile: return "making file " + path;
    case OpKind::kMount:
      if (flags & MS_BIND) return "bind-mounting " + source + " on " + path;
      return "mounting " + fstype + " on " + path;
    case OpKind::kBindRemount: return "remounting " + path + " with its options";
    case OpKind::kSymlink: return "making symlink " + path + " -> " + source;
    case OpKind::kMask: return "masking " + path;
    case OpKind::kReadonly: return "making " + path + " read-only";
    case OpKind::kSysctl: return "setting sysctl " + path + "=" + source;
  }
  return "?";
}

}  // namespace stack::engine::runtime
