// Volumes, tmpfs, read-only rootfs, sysctls, rlimits and the /etc files.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/runtime/fixture.hpp"

using stack::testing::RuntimeFixture;
using stack::testing::run;

TEST_CASE("bind volumes (rw and ro) and tmpfs mounts", "[runtime]") {
  RuntimeFixture fx;
  std::string vol = fx.tmp.path() + "/vol", ro = fx.tmp.path() + "/ro";
  REQUIRE(run("mkdir -p " + vol + " " + ro + " && echo seed > " + ro + "/seed").status == 0);
  auto s = fx.spec({"/bin/sh", "-c",
                    "echo hello > /data/out; cat /config/seed; (echo x > /config/seed) 2>/dev/null && echo RO-WRITE-OK;"
                    "echo t > /scratch/t && grep ' /scratch ' /proc/mounts"});
  s.mounts.push_back({"/data", "bind", vol, {"rbind"}});
  s.mounts.push_back({"/config", "bind", ro, {"rbind", "ro"}});
  s.mounts.push_back({"/scratch", "tmpfs", "tmpfs", {"size=1m", "mode=1777", "nosuid"}});
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->status.code == 0);
  CHECK(r->out.find("seed\n") == 0);
  CHECK(r->out.find("RO-WRITE-OK") == std::string::npos);
  CHECK(r->out.find("tmpfs /scratch tmpfs rw,nosuid,nodev") != std::string::npos);
  CHECK(run("cat " + vol + "/out").out == "hello\n");
  CHECK(run("cat " + ro + "/seed").out == "seed\n");
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("a device is one bind of the host's node; a nodev source's bind is remounted dev", "[runtime]") {
  RuntimeFixture fx;
  // A node on a nodev tmpfs: its bind keeps nodev (clone_mnt) unless remounted.
  std::string src = fx.tmp.path() + "/devsrc";
  REQUIRE(run("mkdir -p " + src + " && mount -t tmpfs -o nodev,size=64k tmpfs " + src).status == 0);
  struct Unmount {
    std::string path;
    ~Unmount() {
      if (!path.empty()) run("umount " + path);
    }
  } unmount{src};
  REQUIRE(run("mknod " + src + "/null c 1 3 && chmod 666 " + src + "/null").status == 0);
  auto s = fx.spec({"/bin/sh", "-c",
                    "echo x > /dev/mynull && echo MYNULL-OK; echo x > /dev/null && echo NULL-OK;"
                    "head -c 4 /dev/zero | wc -c; grep -E ' /dev/(null|mynull) ' /proc/self/mountinfo"});
  s.devices.push_back({"/dev/mynull", src + "/null", 'c', 1, 3});
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->status.code == 0);
  CHECK(r->out.find("MYNULL-OK") != std::string::npos);
  CHECK(r->out.find("NULL-OK") != std::string::npos);
  CHECK(r->out.find("4\n") != std::string::npos);
  CHECK(r->out.find("/dev/mynull rw,nodev") == std::string::npos);
  CHECK(run("umount " + src).status == 0);
  unmount.path.clear();
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("a mount target behind a symlink stays inside the rootfs", "[runtime]") {
  RuntimeFixture fx;
  std::string outside = fx.tmp.path() + "/outside";
  REQUIRE(run("mkdir -p " + outside).status == 0);
  // An image symlink to an absolute host path: RESOLVE_IN_ROOT reads it inside the rootfs.
  REQUIRE(::symlink(outside.c_str(), (fx.layer + "/evil").c_str()) == 0);
  auto s = fx.spec({"/bin/sh", "-c", "echo pwned > /evil/f"});
  s.mounts.push_back({"/evil", "tmpfs", "tmpfs", {"size=1m"}});
  // mkdir makes nothing (the link exists); the link then resolves to <rootfs><outside>,
  // which does not exist: the mount is refused.
  auto r = fx.run_capture(s);
  REQUIRE(!r);
  CHECK(r.error().message == "mounting tmpfs on /evil in container: No such file or directory");
  CHECK(run("ls -A " + outside + " | wc -l").out == "0\n");
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("read_only rootfs, read-only /sys/fs/cgroup, shm still writable", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/sh", "-c",
                    "touch /x 2>/dev/null && echo ROOT-WRITE-OK; touch /sys/fs/cgroup/x 2>/dev/null && echo CG-WRITE-OK;"
                    "echo ok > /dev/shm/x && cat /dev/shm/x"});
  s.root.readonly = true;
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "ok\n");
}

TEST_CASE("sysctls (namespaced), rlimits, hostname and the /etc files", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/sh", "-c",
                    "cat /proc/sys/net/ipv4/ip_forward; ulimit -n; cat /etc/hostname; grep -c localhost /etc/hosts;"
                    "cat /etc/resolv.conf"});
  auto host_forward = [] {
    std::ifstream f("/proc/sys/net/ipv4/ip_forward");
    std::string v;
    f >> v;
    return v;
  };
  std::string before = host_forward();
  s.sysctls = {{"net.ipv4.ip_forward", before == "1" ? "0" : "1"}};
  s.process.rlimits = {{RLIMIT_NOFILE, 321, 321}};
  s.etc.resolv_conf = "nameserver 10.9.8.7\n";
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == (before == "1" ? "0" : "1") + std::string("\n321\nbox\n2\nnameserver 10.9.8.7\n"));
  CHECK(host_forward() == before);  // the container's own network namespace

  s.sysctls = {{"kernel.panic", "1"}};
  auto refused = fx.run_capture(s);
  REQUIRE(!refused);
  CHECK(refused.error().message.find("not namespaced") != std::string::npos);
  CHECK(fx.leftover_mounts().empty());
  CHECK(run("ls -A " + fx.root + "/containers | wc -l").out == "0\n");
}

TEST_CASE("a cgroup2 /sys/fs/cgroup shows the container's cgroup namespace, read-only", "[runtime]") {
  RuntimeFixture fx;
  if (run("findmnt -n -t cgroup2 | wc -l").out == "0\n") {
    WARN("SKIPPED: no cgroup2 hierarchy on this host (a v1-only host)");
    return;
  }
  auto s = fx.spec({"/bin/sh", "-c",
                    "cat /proc/self/cgroup | grep '^0::'; ls /sys/fs/cgroup/cgroup.procs;"
                    "mkdir /sys/fs/cgroup/x 2>/dev/null && echo CG-MKDIR-OK"});
  for (auto& m : s.mounts)
    if (m.destination == "/sys/fs/cgroup") m = {"/sys/fs/cgroup", "cgroup2", "cgroup", {"nosuid", "noexec", "nodev", "ro"}};
  // On a v1/hybrid host the defaults also mount each hierarchy below /sys/fs/cgroup; over
  // a cgroup2 mount their mount points would be new cgroups in the host's tree.
  std::erase_if(s.mounts, [](const auto& m) { return m.destination.rfind("/sys/fs/cgroup/", 0) == 0; });
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "0::/\n/sys/fs/cgroup/cgroup.procs\n");
}
