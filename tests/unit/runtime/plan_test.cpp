// The launch plan without a kernel: mount list, capability masks, seccomp rule count.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <memory>

#include <catch2/catch.hpp>

#include "engine/runtime/caps.hpp"
#include "engine/runtime/defaults.hpp"
#include "engine/runtime/errors.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/rootfs.hpp"
#include "engine/runtime/seccomp.hpp"

using namespace stack::engine::runtime;

namespace {

std::vector<std::string> op_lines(const ChildPlan& p) {
  std::vector<std::string> out;
  for (const auto& op : p.ops)
    if (op.kind != OpKind::kMkdir && op.kind != OpKind::kMkfile) out.push_back(op.describe());
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("Docker's default capability set", "[runtime]") {
  CHECK(kDockerDefaultCaps == 0xa80425fbULL);
  auto names = default_capability_names();
  CHECK(names == std::vector<std::string>{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                                          "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                                          "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE",
                                          "CAP_SETFCAP"});
  auto sets = caps_from_mask(kDockerDefaultCaps);
  CHECK(sets.bounding == sets.effective);
  CHECK(sets.permitted == sets.effective);
  CHECK(sets.inheritable == 0);
  CHECK(sets.ambient == 0);
}

TEST_CASE("cap_add and cap_drop", "[runtime]") {
  auto m = adjust_caps(kDockerDefaultCaps, {"SYS_ADMIN", "cap_net_admin"}, {"NET_RAW", "CAP_MKNOD"});
  REQUIRE(m);
  CHECK(*m == ((kDockerDefaultCaps | (1ULL << 21) | (1ULL << 12)) & ~(1ULL << 13) & ~(1ULL << 27)));
  auto all_dropped = adjust_caps(kDockerDefaultCaps, {"CHOWN"}, {"ALL"});
  REQUIRE(all_dropped);
  CHECK(*all_dropped == 1ULL);
  auto bad = adjust_caps(0, {"NOT_A_CAP"}, {});
  REQUIRE(!bad);
  CHECK(bad.error().message == "cap_add: unknown capability 'NOT_A_CAP'");
}

TEST_CASE("the default plan: mounts, /dev, masks, read-only paths, /etc files", "[runtime]") {
  Spec s = default_spec({"/bin/sh"}, {"/layers/a"}, "web");
  s.mounts = default_mounts(kDefaultShmSize, true);
  auto plan = build_plan(s, "/r/rootfs", {"/c/hosts", "/c/hostname", "/c/resolv.conf"});
  REQUIRE(plan);
  auto ops = op_lines(*plan);
  std::vector<std::string> mounts;
  for (const auto& o : ops)
    if (o.rfind("mounting", 0) == 0) mounts.push_back(o);
  CHECK(mounts == std::vector<std::string>{"mounting proc on /proc", "mounting tmpfs on /dev", "mounting devpts on /dev/pts",
                                           "mounting sysfs on /sys", "mounting mqueue on /dev/mqueue",
                                           "mounting tmpfs on /dev/shm", "mounting cgroup2 on /sys/fs/cgroup"});
  CHECK(has(ops, "bind-mounting /dev/null on /dev/null"));
  CHECK(has(ops, "bind-mounting /dev/tty on /dev/tty"));
  CHECK(has(ops, "making symlink /dev/ptmx -> pts/ptmx"));
  CHECK(has(ops, "masking /proc/kcore"));
  CHECK(has(ops, "masking /sys/firmware"));
  CHECK(has(ops, "making /proc/sysrq-trigger read-only"));
  CHECK(has(ops, "bind-mounting /c/hosts on /etc/hosts"));
  CHECK(has(ops, "bind-mounting /c/resolv.conf on /etc/resolv.conf"));
  // The order the child relies on: devices after the /dev tmpfs, masks after /proc.
  auto index = [&](const std::string& s2) { return std::find(ops.begin(), ops.end(), s2) - ops.begin(); };
  CHECK(index("mounting tmpfs on /dev") < index("bind-mounting /dev/null on /dev/null"));
  CHECK(index("mounting proc on /proc") < index("masking /proc/kcore"));
  for (const auto& op : plan->ops) {
    if (op.path == "/dev/shm" && op.kind == OpKind::kMount) {
      CHECK(op.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
      CHECK(op.data == "mode=1777,size=67108864");
    }
    if (op.path == "/sys" && op.kind == OpKind::kMount) CHECK((op.flags & MS_RDONLY) != 0);
  }
  // One mount, no remount, for a device whose host node is not on a nodev mount, and
  // for the /etc files (regular files: nodev means nothing there).
  struct statvfs dev {};
  REQUIRE(::statvfs("/dev/null", &dev) == 0);
  auto remounts = [&](const std::string& path) {
    return std::count_if(plan->ops.begin(), plan->ops.end(),
                         [&](const ChildOp& op) { return op.kind == OpKind::kBindRemount && op.path == path; });
  };
  CHECK(remounts("/dev/null") == ((dev.f_flag & ST_NODEV) ? 1 : 0));
  CHECK(remounts("/etc/hosts") == 0);
  CHECK(remounts("/etc/resolv.conf") == 0);
  CHECK(plan->caps.effective == kDockerDefaultCaps);
  CHECK(plan->has_seccomp);
  CHECK(plan->set_hostname);
  CHECK(plan->exec_candidates == std::vector<std::string>{"/bin/sh"});
}

TEST_CASE("a missing command, a relative cwd and a non-namespaced sysctl are refused", "[runtime]") {
  Spec s = default_spec({}, {"/l"}, "h");
  auto empty = build_plan(s, "/r", {});
  REQUIRE(!empty);
  CHECK(empty.error().message.find("no command") != std::string::npos);
  s.process.args = {"sh"};
  s.process.cwd = "rel";
  REQUIRE(!build_plan(s, "/r", {}));
  s.process.cwd = "/";
  s.sysctls = {{"kernel.panic", "1"}};
  auto host = build_plan(s, "/r", {});
  REQUIRE(!host);
  CHECK(host.error().message == "sysctl kernel.panic is not namespaced: it would change the host; refusing it");
  s.sysctls = {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1000"}};
  auto ok = build_plan(s, "/r", {});
  REQUIRE(ok);
  CHECK(has(op_lines(*ok), "setting sysctl /proc/sys/net/ipv4/ip_forward=1"));
  CHECK_FALSE(ok->sysctls_need_links);
}

TEST_CASE("a sysctl of one of the container's interfaces waits for its links", "[runtime]") {
  Spec s = default_spec({"sh"}, {"/l"}, "h");
  for (const char* key : {"net.ipv4.conf.all.rp_filter", "net.ipv6.conf.default.accept_ra", "net.ipv4.conf.lo.arp_ignore",
                          "net.ipv4.neigh.default.gc_stale_time", "net.ipv4.tcp_keepalive_time", "net.core.somaxconn"}) {
    s.sysctls = {{key, "1"}};
    auto plan = build_plan(s, "/r", {});
    REQUIRE(plan);
    CHECK_FALSE(plan->sysctls_need_links);
  }
  for (const char* key : {"net.ipv4.conf.eth0.rp_filter", "net.ipv6.conf.eth1.disable_ipv6", "net.ipv4.neigh.eth0.base_reachable_time_ms"}) {
    s.sysctls = {{"net.core.somaxconn", "1024"}, {key, "1"}};
    auto plan = build_plan(s, "/r", {});
    REQUIRE(plan);
    CHECK(plan->sysctls_need_links);
  }
}

TEST_CASE("PATH lookup candidates and argv/envp arrays", "[runtime]") {
  Spec s = default_spec({"nginx", "-g", "daemon off;"}, {"/l"}, "h");
  s.process.env = {"PATH=/usr/local/bin:/bin", "A=1"};
  auto plan = build_plan(s, "/r", {});
  REQUIRE(plan);
  CHECK(plan->exec_candidates == std::vector<std::string>{"/usr/local/bin/nginx", "/bin/nginx"});
  plan->seal();
  REQUIRE(plan->argv.size() == 4);
  CHECK(std::string(plan->argv[2]) == "daemon off;");
  CHECK(plan->argv[3] == nullptr);
  CHECK(plan->envp.size() == 3);
}

TEST_CASE("mount options and user volumes", "[runtime]") {
  auto f = parse_mount_options({"rbind", "ro", "nosuid", "rprivate", "mode=755", "size=1m"});
  CHECK(f.bind);
  CHECK(f.recursive);
  CHECK(f.flags == (MS_RDONLY | MS_NOSUID));
  CHECK(f.cleared == 0);
  CHECK(parse_mount_options({"nodev", "dev", "rw", "exec"}).cleared == (MS_NODEV | MS_RDONLY | MS_NOEXEC));
  CHECK(parse_mount_options({"dev", "nodev"}).cleared == 0);
  CHECK(f.data == "mode=755,size=1m");
  std::vector<ChildOp> ops;
  add_mount_ops(ops, Mount{"/data/sub", "bind", "/host/vol", {"bind", "ro"}}, S_IFDIR);
  REQUIRE(ops.size() == 4);  // mkdir /data, mkdir /data/sub, bind, ro remount
  CHECK(ops[0].kind == OpKind::kMkdir);
  CHECK(ops[0].parent == "/");
  CHECK(ops[0].name == "data");
  CHECK(ops[1].parent == "/data");
  CHECK(ops[2].flags == MS_BIND);
  CHECK(ops[3].kind == OpKind::kBindRemount);
  CHECK(ops[3].flags == (MS_RDONLY | MS_NODEV));  // volumes are nodev unless "dev" is asked
  // A regular file reaches no device node: no nodev, so no remount unless asked for flags.
  ops.clear();
  add_mount_ops(ops, Mount{"/etc/app.conf", "bind", "/host/app.conf", {"bind"}}, S_IFREG);
  REQUIRE(ops.size() == 3);  // mkdir /etc, the file to mount on, bind
  CHECK(ops[1].kind == OpKind::kMkfile);
  CHECK(ops[2].flags == MS_BIND);
  ops.clear();
  add_mount_ops(ops, Mount{"/etc/app.conf", "bind", "/host/app.conf", {"bind", "ro"}}, S_IFREG);
  REQUIRE(ops.size() == 4);
  CHECK(ops[3].kind == OpKind::kBindRemount);
  CHECK(ops[3].flags == MS_RDONLY);
  // Any other file (a device node, a socket) stays nodev unless "dev" is asked.
  ops.clear();
  add_mount_ops(ops, Mount{"/run/app.sock", "bind", "/host/app.sock", {"bind"}}, S_IFSOCK);
  REQUIRE(ops.size() == 4);
  CHECK(ops[3].flags == MS_NODEV);
}

TEST_CASE("the seccomp program has the profile's rules", "[runtime]") {
  auto prog = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  REQUIRE(prog);
  // The allow list (less names this libseccomp does not know, and arch-specific ones)
  // plus socket, 5 personality rules, arch_prctl, modify_ldt, clone (masked), clone3.
  CHECK(prog->rules_added > 300);
  CHECK(prog->rules_added < 400);
  CHECK(prog->filter.size() > 100);
  auto admin = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps | (1ULL << 21));
  REQUIRE(admin);
  CHECK(admin->rules_added > prog->rules_added);  // mount, unshare, setns, ... join
}

TEST_CASE("a seccomp program is compiled once per profile and bounding set", "[runtime]") {
  auto a = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  auto b = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->rules_added == b->rules_added);
  CHECK(a->filter.size() == b->filter.size());
  // The cache keys on the whole profile and the caps: a changed rule or another
  // bounding set is a different program, never the cached one.
  auto admin = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps | (1ULL << 21));
  REQUIRE(admin);
  CHECK(admin->rules_added != a->rules_added);
  auto profile = docker_default_seccomp();
  profile.rules.push_back(SeccompRule{{"reboot"}, SeccompAction::kAllow, 0, {}, {}, {}, {}, {}});
  auto more = compile_seccomp(profile, kDockerDefaultCaps);
  REQUIRE(more);
  CHECK(more->rules_added == a->rules_added + 1);
  auto again = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  REQUIRE(again);
  CHECK(again->rules_added == a->rules_added);
}

TEST_CASE("every default spec shares one Docker profile; a shared profile finds its program", "[runtime]") {
  Spec a = default_spec({"/bin/sh"}, {"/l"}, "a");
  Spec b = default_spec({"/bin/true"}, {"/l"}, "b");
  REQUIRE(a.seccomp);
  CHECK(a.seccomp == b.seccomp);  // the same object, not a copy per container
  CHECK(*a.seccomp == docker_default_seccomp());
  auto by_object = compile_seccomp(a.seccomp, kDockerDefaultCaps);
  auto by_value = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  REQUIRE(by_object);
  REQUIRE(by_value);
  CHECK(by_object->filter.size() == by_value->filter.size());
  CHECK(std::equal(by_object->filter.begin(), by_object->filter.end(), by_value->filter.begin(),
                   [](const sock_filter& x, const sock_filter& y) {
                     return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
                   }));
  auto admin = compile_seccomp(a.seccomp, kDockerDefaultCaps | (1ULL << 21 /*CAP_SYS_ADMIN*/));
  REQUIRE(admin);
  CHECK(admin->rules_added > by_object->rules_added);  // the same object, other caps: another program
  // Another object of another value is never answered with the shared one's program.
  auto other = std::make_shared<SeccompProfile>(docker_default_seccomp());
  other->rules.push_back(SeccompRule{{"reboot"}, SeccompAction::kAllow, 0, {}, {}, {}, {}, {}});
  auto more = compile_seccomp(std::shared_ptr<const SeccompProfile>(other), kDockerDefaultCaps);
  REQUIRE(more);
  CHECK(more->rules_added == by_object->rules_added + 1);
  // A spec made unconfined has no profile, and its plan loads none.
  Spec u = default_spec({"/bin/sh"}, {"/l"}, "u");
  u.seccomp.reset();
  auto plan = build_plan(u, "/r", {});
  REQUIRE(plan);
  CHECK_FALSE(plan->has_seccomp);
  auto none = compile_seccomp(u.seccomp, kDockerDefaultCaps);  // a null profile is an error, not a crash
  REQUIRE_FALSE(none);
  CHECK_THAT(none.error().message, Catch::Contains("no profile"));
}

TEST_CASE("overlay options put the topmost layer first", "[runtime]") {
  ContainerPaths p = container_paths("/var/lib/stack", "c1");
  CHECK(p.rootfs == "/var/lib/stack/containers/c1/rootfs");
  auto o = overlay_options(Root{{"/l/base", "/l/top"}, false}, p);
  REQUIRE(o);
  CHECK(*o == "lowerdir=/l/top:/l/base,upperdir=/var/lib/stack/containers/c1/upper,workdir=/var/lib/stack/containers/c1/work");
  REQUIRE(!overlay_options(Root{{"/l/a:b"}, false}, p));
  REQUIRE(!overlay_options(Root{{}, false}, p));
}

TEST_CASE("child errors become sentences", "[runtime]") {
  Spec s = default_spec({"/usr/bin/nginx"}, {"/l"}, "h");
  auto plan = build_plan(s, "/r", {});
  REQUIRE(plan);
  auto e = describe_child_error({SyncKind::kError, Step::kExec, 0, ENOENT}, *plan, "web:1");
  CHECK(e.message == "exec: no such file: /usr/bin/nginx in image web:1");
  CHECK(e.code == ENOENT);
  auto m = describe_child_error({SyncKind::kError, Step::kOp, 0, EPERM}, *plan, "web:1");
  CHECK(m.message == "making directory /proc in container: Operation not permitted");
  uint32_t proc = 0;
  while (plan->ops[proc].kind != OpKind::kMount) ++proc;
  auto mp = describe_child_error({SyncKind::kError, Step::kOp, proc, EPERM}, *plan, "web:1");
  CHECK(mp.message == "mounting proc on /proc in container: Operation not permitted");
}

TEST_CASE("namespaces: cloned, except cgroup, made after the parent placed the child", "[runtime]") {
  Spec s = default_spec({"/bin/sh"}, {"/l"}, "h");
  auto plan = build_plan(s, "/r", {});
  REQUIRE(plan);
  CHECK(plan->clone_flags == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET));
  CHECK(plan->unshare_cgroup);
}
