// From inside a running container: what it can see and do (issue 3, "Checks").
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>

#include "tests/integration/runtime/fixture.hpp"

using stack::testing::RuntimeFixture;

TEST_CASE("PID 1 is the command, host processes are invisible, hostname is private", "[runtime]") {
  RuntimeFixture fx;
  auto r = fx.run_capture(fx.spec({"/bin/sh", "-c",
                                   "echo pid=$$; echo host=$(hostname); echo nprocs=$(ls /proc | grep -c '^[0-9]*$');"
                                   " cat /proc/1/cmdline | tr '\\0' ' '; echo"}));
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->status.code == 0);
  CHECK(r->out.find("pid=1\n") != std::string::npos);
  CHECK(r->out.find("host=box\n") != std::string::npos);
  CHECK(r->out.find("/bin/sh -c") != std::string::npos);
  // sh, ls and grep at most: nothing of the host.
  auto pos = r->out.find("nprocs=");
  REQUIRE(pos != std::string::npos);
  CHECK(std::stoi(r->out.substr(pos + 7)) <= 4);
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("capabilities, seccomp and no_new_privs are Docker's", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/sh", "-c", "grep -E '^(CapEff|CapPrm|CapBnd|CapInh|CapAmb|Seccomp|NoNewPrivs):' /proc/self/status"});
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out.find("CapEff:\t00000000a80425fb") != std::string::npos);
  CHECK(r->out.find("CapPrm:\t00000000a80425fb") != std::string::npos);
  CHECK(r->out.find("CapBnd:\t00000000a80425fb") != std::string::npos);
  CHECK(r->out.find("CapInh:\t0000000000000000") != std::string::npos);
  CHECK(r->out.find("CapAmb:\t0000000000000000") != std::string::npos);
  CHECK(r->out.find("Seccomp:\t2") != std::string::npos);
  CHECK(r->out.find("NoNewPrivs:\t0") != std::string::npos);

  s.process.no_new_privileges = true;
  auto n = fx.run_capture(s);
  REQUIRE(n);
  INFO(n->out);
  CHECK(n->out.find("NoNewPrivs:\t1") != std::string::npos);
  CHECK(n->out.find("Seccomp:\t2") != std::string::npos);
  CHECK(n->out.find("CapEff:\t00000000a80425fb") != std::string::npos);
}

TEST_CASE("mount, unshare, sysrq-trigger and /sys writes fail; masked paths read empty", "[runtime]") {
  RuntimeFixture fx;
  auto r = fx.run_capture(fx.spec(
      {"/bin/sh", "-c",
       "mount -t tmpfs t /mnt 2>/dev/null && echo MOUNT-OK;"
       "unshare -n true 2>/dev/null && echo UNSHARE-OK;"
       "(echo h > /proc/sysrq-trigger) 2>/dev/null && echo SYSRQ-OK;"
       "(echo 1 > /sys/kernel/uevent_helper) 2>/dev/null && echo SYS-OK;"
       "touch /sys/x 2>/dev/null && echo SYSTOUCH-OK;"
       "(echo 1 > /proc/sys/kernel/panic) 2>/dev/null && echo PROCSYS-OK;"
       "for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug; do"
       "  [ -e $f ] && echo $f=$(wc -c < $f); done;"
       "echo acpi=$(ls -A /proc/acpi 2>/dev/null | wc -l) firmware=$(ls -A /sys/firmware | wc -l);"
       "echo dev=$(ls /dev)"}));
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out.find("-OK") == std::string::npos);
  // Every masked file this kernel has reads empty inside (the kernel may lack kcore etc.).
  int masked = 0;
  for (const char* f : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/interrupts", "/proc/sched_debug"}) {
    if (::access(f, F_OK) != 0) continue;
    ++masked;
    CHECK(r->out.find(std::string(f) + "=0\n") != std::string::npos);
  }
  CHECK(masked >= 2);
  CHECK(r->out.find("firmware=0") != std::string::npos);
  CHECK(r->out.find("dev=fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero\n") !=
        std::string::npos);
}

TEST_CASE("writes stay in the container: not in the layers, not in a second container", "[runtime]") {
  RuntimeFixture fx;
  std::string upper_layer = fx.tmp.path() + "/layer2";
  REQUIRE(stack::testing::run("mkdir -p " + upper_layer + "/etc && echo two > " + upper_layer + "/etc/layer2").status == 0);
  auto s = fx.spec({"/bin/sh", "-c", "cat /etc/layer2; echo written > /etc/new; echo x >> /etc/passwd; cat /etc/new"});
  s.root.layers = {fx.layer, upper_layer};
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "two\nwritten\n");
  CHECK(::access((fx.layer + "/etc/new").c_str(), F_OK) != 0);
  CHECK(::access((upper_layer + "/etc/new").c_str(), F_OK) != 0);
  CHECK(stack::testing::run("grep -c '^x$' " + fx.layer + "/etc/passwd").out == "0\n");

  auto s2 = fx.spec({"/bin/sh", "-c", "ls /etc/new 2>&1; grep -c '^x$' /etc/passwd"});
  s2.root.layers = {fx.layer, upper_layer};
  auto r2 = fx.run_capture(s2);
  REQUIRE(r2);
  INFO(r2->out);
  CHECK(r2->out.find("No such file") != std::string::npos);
  CHECK(r2->out.find("\n0\n") != std::string::npos);
}

TEST_CASE("user by name from the image's passwd and group", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/sh", "-c", "id -u; id -g; id -G; echo $HOME; grep CapEff /proc/self/status"});
  s.process.user_name = "app";
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out.find("1000\n1000\n1000 29\n/home/app\n") == 0);
  CHECK(r->out.find("CapEff:\t0000000000000000") != std::string::npos);

  s.process.user_name = "nosuchuser";
  auto bad = fx.run_capture(s);
  REQUIRE(!bad);
  CHECK(bad.error().message.find("no user 'nosuchuser'") != std::string::npos);
}

TEST_CASE("a device node the container makes (CAP_MKNOD) cannot be opened", "[runtime]") {
  RuntimeFixture fx;
  // The block device the host's / lives on (a disk: /dev/sda, /dev/vda): the node is made
  // (Docker's CAP_MKNOD) but cannot be opened on any mount the container can write to.
  struct stat root_st {};
  REQUIRE(::stat("/", &root_st) == 0);
  std::string disk = std::to_string(major(root_st.st_dev)) + " " + std::to_string(minor(root_st.st_dev));
  auto r = fx.run_capture(fx.spec({"/bin/sh", "-c",
                                   "mknod /dev/mynull c 1 3 && (echo x > /dev/mynull) 2>/dev/null && echo DEV-OPEN;"
                                   "mknod /tmp/mynull c 1 3 && (echo x > /tmp/mynull) 2>/dev/null && echo TMP-OPEN;"
                                   "mknod /dev/shm/n c 1 3 && (echo x > /dev/shm/n) 2>/dev/null && echo SHM-OPEN;"
                                   "mknod /disk b " + disk + " && echo made && (head -c 512 /disk >/dev/null) 2>/dev/null && echo DISK-OPEN;"
                                   "mknod /dev/disk b " + disk + " && (head -c 512 /dev/disk >/dev/null) 2>/dev/null && echo DEVDISK-OPEN;"
                                   "echo x > /dev/null && echo NULL-OK"}));
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "made\nNULL-OK\n");
}

TEST_CASE("raw system calls from inside: keyctl, unshare, mount, clone3, newer syscalls", "[runtime][seccomp]") {
  RuntimeFixture fx;
  // A static probe built now (busybox has no keyctl): prints "name=errno" per call.
  std::string src = fx.tmp.path() + "/probe.c";
  std::ofstream(src) << R"(#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#define P(name, call) do { errno = 0; long rc = (call); printf("%s=%d\n", name, rc < 0 ? errno : 0); } while (0)
int main(void) {
  P("keyctl", syscall(SYS_keyctl, 0, -3, 0));
  P("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -3));
  P("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
  P("unshare_net", syscall(SYS_unshare, CLONE_NEWNET));
  P("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0));
  P("clone3", syscall(SYS_clone3, 0, 0));
  P("nr1000", syscall(1000, 0, 0, 0));
  P("getpid", syscall(SYS_getpid));
  return 0;
}
)";
  auto cc = stack::testing::run("cc -static -O1 -o " + fx.layer + "/probe " + src);
  INFO(cc.out);
  REQUIRE(cc.status == 0);
  auto r = fx.run_capture(fx.spec({"/probe"}));
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "keyctl=1\nadd_key=1\nunshare_user=1\nunshare_net=1\nmount=1\nclone3=38\nnr1000=38\ngetpid=0\n");
}

TEST_CASE("the container gets exactly stdio, even from a leaky parent", "[runtime]") {
  RuntimeFixture fx;
  int leak = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  REQUIRE(leak >= 0);
  // "; true": else sh execs ls in place and ls sees its own directory fd.
  auto r = fx.run_capture(fx.spec({"/bin/sh", "-c", "ls /proc/1/fd; true"}));
  ::close(leak);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->out == "0\n1\n2\n");
}

TEST_CASE("a new network namespace has only lo, and lo is up (as in Docker)", "[runtime]") {
  RuntimeFixture fx;
  // busybox nc listens on 127.0.0.1 and a second nc reaches it: this needs lo up.
  auto r = fx.run_capture(fx.spec({"/bin/sh", "-c",
                                   "ls /sys/class/net; cat /sys/class/net/lo/operstate /sys/class/net/lo/flags;"
                                   " (echo pong | nc -l -p 7777 127.0.0.1 &) ; sleep 0.3; nc 127.0.0.1 7777 </dev/null"}));
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->status.code == 0);
  CHECK(r->out.find("lo\n") == 0);  // the only interface
  CHECK(r->out.find("0x9\n") != std::string::npos);  // IFF_UP | IFF_LOOPBACK
  CHECK(r->out.find("pong") != std::string::npos);
  CHECK(fx.leftover_mounts().empty());
}
