#include "engine/runtime/plan.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <fstream>

#include "engine/runtime/defaults.hpp"
#include "engine/runtime/seccomp.hpp"

namespace stack::engine::runtime {
namespace {


Result<void> add_devices(std::vector<ChildOp>& ops, const Spec& spec) {
  bool dev_tmpfs = false, pts = false;
  for (const auto& m : spec.mounts) {
    dev_tmpfs = dev_tmpfs || m.destination == "/dev";
    pts = pts || m.destination == "/dev/pts";
  }
  for (const auto& d : spec.devices) {
    std::string source = d.source.empty() ? d.path : d.source;
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) return fail_errno("device " + source + " on the host");
    bool type_ok = d.type == 'b' ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode);
    if (!type_ok || major(st.st_rdev) != d.major || minor(st.st_rdev) != d.minor)
      return fail("device " + source + " on the host is not " + std::string(1, d.type) + " " +
                  std::to_string(d.major) + ":" + std::to_string(d.minor));
    // Only "dev": nosuid and noexec mean nothing on a device node (execve(2) needs a
    // regular file), and without them the bind needs no remount.
    add_mount_ops(ops, Mount{d.path, "bind", source, {"bind", "dev"}}, st.st_mode & S_IFMT);
  }
  if (!dev_tmpfs) return {};
  // The links every container's /dev has (runc's defaults).
  std::vector<std::pair<std::string, std::string>> links = {
      {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"}};
  if (pts) links.push_back({"ptmx", "pts/ptmx"});
  for (auto& [name, target] : links) {
    ChildOp op{OpKind::kSymlink, "/dev/" + name, "/dev", name};
    op.source = target;
    ops.push_back(std::move(op));
  }
  return {};
}

// net.ipv4.conf.<if>.*, net.ipv6.conf.<if>.*, net.ipv4.neigh.<if>.*, net.ipv6.neigh.<if>.*
// for an interface other than all, default and lo (lo is there from the netns's start).
bool names_a_link(const std::string& key) {
  for (const char* prefix : {"net.ipv4.conf.", "net.ipv6.conf.", "net.ipv4.neigh.", "net.ipv6.neigh."}) {
    std::string_view p(prefix);
    if (key.compare(0, p.size(), p) != 0) continue;
    std::string_view rest = std::string_view(key).substr(p.size());
    std::string_view name = rest.substr(0, rest.find('.'));
    return name != "all" && name != "default" && name != "lo";
  }
  return false;
}

Result<void> add_sysctls(std::vector<ChildOp>& ops, const Spec& spec) {
  for (const auto& [key, value] : spec.sysctls) {
    STACK_TRY(check_sysctl(spec, key));
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    ChildOp op{OpKind::kSysctl, path};
    op.source = value;
    ops.push_back(std::move(op));
  }
  // kernel.domainname is per UTS namespace (setdomainname(2)); the sysctl key itself is
  // refused above so that the domainname option is the one way to set it.
  if (!spec.domainname.empty()) {
    if (!has_namespace(spec, NamespaceType::kUts)) return fail("domainname needs a UTS namespace");
    ChildOp op{OpKind::kSysctl, "/proc/sys/kernel/domainname"};
    op.source = spec.domainname;
    ops.push_back(std::move(op));
  }
  return {};
}

void add_etc_binds(std::vector<ChildOp>& ops, const EtcPaths& etc) {
  for (auto [dest, src] : {std::pair{"/etc/hosts", &etc.hosts}, std::pair{"/etc/hostname", &etc.hostname},
                           std::pair{"/etc/resolv.conf", &etc.resolv_conf}}) {
    if (src->empty()) continue;
    add_mount_ops(ops, Mount{dest, "bind", *src, {"bind"}}, S_IFREG);
  }
}

// The last mount in spec.mounts at or below mounts[i]'s destination (i if none is).
size_t last_submount(const std::vector<Mount>& mounts, size_t i) {
  size_t last = i;
  std::string prefix = mounts[i].destination + "/";
  for (size_t j = i + 1; j < mounts.size(); ++j)
    if (mounts[j].destination.rfind(prefix, 0) == 0) last = j;
  return last;
}

// A v1 hierarchy mounted under a comma name ("cpu,cpuacct") gets a link per controller.
void add_controller_links(std::vector<ChildOp>& ops, const Mount& m) {
  auto slash = m.destination.rfind('/');
  std::string dir = m.destination.substr(0, slash), name = m.destination.substr(slash + 1);
  if (m.type != "cgroup" || name.find(',') == std::string::npos) return;
  for (size_t a = 0, b; a <= name.size(); a = b + 1) {
    b = std::min(name.find(',', a), name.size());
    ChildOp op{OpKind::kSymlink, dir + "/" + name.substr(a, b - a), dir, name.substr(a, b - a)};
    op.source = name;
    ops.push_back(std::move(op));
  }
}

Result<void> add_mounts(std::vector<ChildOp>& ops, const Spec& spec) {
  bool new_cgroupns = false;
  for (const auto& n : spec.namespaces) new_cgroupns = new_cgroupns || (n.type == NamespaceType::kCgroup && n.path.empty());
  std::vector<std::pair<size_t, ChildOp>> deferred;  // (after mount j, a read-only remount)
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    Mount m = spec.mounts[i];
    if (m.destination.empty() || m.destination[0] != '/')
      return fail("mount destination '" + m.destination + "' is not an absolute path");
    if ((m.type == "cgroup" || m.type == "cgroup2") && !new_cgroupns)
      return fail("mounting " + m.type + " on " + m.destination +
                  " needs the container's own cgroup namespace (it would show the host's tree)");
    bool bind = m.type == "bind" || parse_mount_options(m.options).bind;
    mode_t source_type = 0;
    if (bind) {
      struct stat st {};
      if (::stat(m.source.c_str(), &st) != 0) return fail_errno("bind mount source " + m.source);
      source_type = st.st_mode & S_IFMT;
    }
    // A read-only tmpfs with mounts below it (the v1 /sys/fs/cgroup) is mounted
    // writable, so that their targets can be made, and turned read-only after them.
    size_t last = last_submount(spec.mounts, i);
    auto ro = std::find(m.options.begin(), m.options.end(), "ro");
    if (m.type == "tmpfs" && last != i && ro != m.options.end()) {
      m.options.erase(ro);
      ChildOp re{OpKind::kBindRemount, m.destination};
      re.flags = MS_RDONLY | parse_mount_options(m.options).flags;
      deferred.emplace_back(last, std::move(re));
    }
    add_mount_ops(ops, m, source_type);
    add_controller_links(ops, m);
    for (auto& [after, op] : deferred)
      if (after == i) ops.push_back(op);
  }
  return {};
}

void add_masks(std::vector<ChildOp>& ops, const Spec& spec) {
  for (const auto& p : spec.masked_paths) ops.push_back(ChildOp{OpKind::kMask, p});
  for (const auto& p : spec.readonly_paths) ops.push_back(ChildOp{OpKind::kReadonly, p});
}

}  // namespace

int clone_flag(NamespaceType t) {
  switch (t) {
    case NamespaceType::kPid: return CLONE_NEWPID;
    case NamespaceType::kMount: return CLONE_NEWNS;
    case NamespaceType::kUts: return CLONE_NEWUTS;
    case NamespaceType::kIpc: return CLONE_NEWIPC;
    case NamespaceType::kNet: return CLONE_NEWNET;
    case NamespaceType::kCgroup: return CLONE_NEWCGROUP;
    case NamespaceType::kUser: return CLONE_NEWUSER;
  }
  return 0;
}

Result<void> add_seccomp(ChildPlan& plan, const Spec& spec) {
  if (!spec.seccomp) return {};
  auto prog = compile_seccomp(spec.seccomp, spec.process.capabilities.bounding);
  if (!prog) return unexpected(std::move(prog).error());
  plan.has_seccomp = true;
  plan.seccomp = std::move(prog->filter);
  return {};
}

int read_last_cap() {
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  int v = 40;
  f >> v;
  return v;
}

static std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.rfind(key + "=", 0) == 0) return e.substr(key.size() + 1);
  return {};
}

std::vector<std::string> exec_candidates(const Process& p) {
  const std::string& cmd = p.args[0];
  if (cmd.find('/') != std::string::npos) return {cmd};
  std::string path = env_value(p.env, "PATH");
  if (path.empty()) path = kDefaultPath;
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (dir.empty()) dir = ".";
    out.push_back(dir + "/" + cmd);
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

Result<ChildPlan> build_plan(const Spec& spec, const std::string& rootfs, const EtcPaths& etc) {
  const Process& p = spec.process;
  if (p.args.empty()) return fail("the container has no command (neither entrypoint nor cmd)");
  if (p.cwd.empty() || p.cwd[0] != '/') return fail("working directory '" + p.cwd + "' is not absolute");
  ChildPlan plan;
  plan.rootfs = rootfs;
  auto slash = rootfs.rfind('/');
  if (slash == std::string::npos || slash + 1 == rootfs.size()) return fail("rootfs '" + rootfs + "' is not an absolute path");
  plan.rootfs_dir = slash == 0 ? "/" : rootfs.substr(0, slash);
  plan.rootfs_name = rootfs.substr(slash + 1);
  STACK_TRY(add_mounts(plan.ops, spec));
  STACK_TRY(add_devices(plan.ops, spec));
  // sysctls before the masks: /proc/sys turns read-only below.
  STACK_TRY(add_sysctls(plan.ops, spec));
  plan.sysctls_need_links = std::any_of(spec.sysctls.begin(), spec.sysctls.end(),
                                        [](const auto& kv) { return names_a_link(kv.first); });
  add_masks(plan.ops, spec);
  add_etc_binds(plan.ops, etc);
  add_path_ops(plan.ops, p.cwd, false, /*optional=*/true);  // Docker makes a missing WORKDIR
  drop_repeated_mkdirs(plan.ops);

  plan.readonly_root = spec.root.readonly;
  plan.hostname = spec.hostname;
  plan.set_hostname = !spec.hostname.empty() && has_namespace(spec, NamespaceType::kUts);
  plan.rlimits = p.rlimits;
  plan.user = p.user;
  plan.caps = p.capabilities;
  plan.last_cap = read_last_cap();
  plan.no_new_privs = p.no_new_privileges;
  STACK_TRY(add_seccomp(plan, spec));
  plan.cwd = p.cwd;
  plan.args = p.args;
  plan.env = p.env;
  plan.exec_candidates = exec_candidates(p);
  plan.init = spec.init;
  plan.terminal = p.terminal;
  plan.pty_rows = p.console_rows;
  plan.pty_cols = p.console_cols;
  plan.stdio[0] = spec.stdio.in;
  plan.stdio[1] = spec.stdio.out;
  plan.stdio[2] = spec.stdio.err;
  for (const auto& n : spec.namespaces)
    if (n.path.empty()) plan.clone_flags |= clone_flag(n.type);
  // The cgroup namespace is made by the child once it is in its cgroups: it joins the v1
  // hierarchies itself after the clone (and without CLONE_INTO_CGROUP the parent moves it
  // before go), and the namespace's root is where the child is when it unshares
  // (cgroup_namespaces(7)).
  plan.unshare_cgroup = (plan.clone_flags & CLONE_NEWCGROUP) != 0;
  plan.loopback_up = (plan.clone_flags & CLONE_NEWNET) != 0;
  plan.userns_root = (plan.clone_flags & CLONE_NEWUSER) != 0;
  plan.clone_flags &= ~CLONE_NEWCGROUP;
  if (!has_namespace(spec, NamespaceType::kMount) || !has_namespace(spec, NamespaceType::kPid))
    return fail("a container needs its own mount and pid namespaces");
  return plan;
}

void ChildPlan::seal() {
  argv.clear();
  envp.clear();
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  keep_fds.clear();
  for (int fd : stdio) keep_fd(fd);
  for (const auto& [fd, type] : join_ns) keep_fd(fd);
  for (int fd : cgroup_join) keep_fd(fd);
  for (const auto& op : ops) keep_fd(op.source_fd);
}

void ChildPlan::keep_fd(int fd) {
  if (fd <= 2) return;
  auto at = std::lower_bound(keep_fds.begin(), keep_fds.end(), fd);
  if (at == keep_fds.end() || *at != fd) keep_fds.insert(at, fd);
}

}  // namespace stack::engine::runtime
