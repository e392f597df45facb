// The compiled Docker profile, loaded in a forked process and probed with raw system
// calls: what it allows, what gets EPERM and what gets ENOSYS.
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "engine/runtime/defaults.hpp"
#include "engine/runtime/seccomp.hpp"
#include "tests/support/testing.hpp"

using namespace stack::engine::runtime;

namespace {

// Runs probe() after loading the filter in a child; returns the errno it reported
// (0: the call succeeded), or -1 if the child failed otherwise.
template <typename F>
int errno_under_filter(const SeccompProgram& prog, F probe) {
  pid_t pid = ::fork();
  if (pid == 0) {
    sock_fprog fp{static_cast<unsigned short>(prog.filter.size()), const_cast<sock_filter*>(prog.filter.data())};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
      ::_exit(255);
    long rc = probe();
    ::_exit(rc >= 0 ? 0 : (errno & 0x7f));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 255) return -1;
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("Docker's default profile: allowed, EPERM, ENOSYS", "[runtime][seccomp]") {
  stack::testing::require_root();
  auto prog = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps);
  REQUIRE(prog);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_getpid); }) == 0);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_keyctl, 0 /*KEYCTL_GET_KEYRING_ID*/, -3, 0); }) == EPERM);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_unshare, CLONE_NEWNET); }) == EPERM);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_mount, "none", "/mnt", "tmpfs", 0, nullptr); }) == EPERM);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_reboot, 0, 0, 0, nullptr); }) == EPERM);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_socket, 40 /*AF_VSOCK*/, SOCK_STREAM, 0); }) == EPERM);
  // clone3's flags are out of seccomp's reach: ENOSYS makes libc fall back to clone.
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_clone3, nullptr, 0); }) == ENOSYS);
  // clone with a namespace flag is refused, a plain fork-like clone is not.
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0); }) == EPERM);
  CHECK(errno_under_filter(*prog, [] {
          long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
          if (pid == 0) ::_exit(0);
          return pid > 0 ? 0L : -1L;
        }) == 0);
  // Newer than the profile: ENOSYS, so programs fall back (e.g. 1000, and the first
  // number after the profile's highest).
  REQUIRE(prog->highest_syscall > 400);
  int newer = prog->highest_syscall + 1;
  CHECK(errno_under_filter(*prog, [newer] { return ::syscall(newer, 0, 0, 0); }) == ENOSYS);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(1000, 0, 0, 0); }) == ENOSYS);
}

TEST_CASE("CAP_SYS_ADMIN in the bounding set opens mount, unshare and clone3 as in Docker", "[runtime][seccomp]") {
  stack::testing::require_root();
  auto prog = compile_seccomp(docker_default_seccomp(), kDockerDefaultCaps | (1ULL << 21 /*CAP_SYS_ADMIN*/));
  REQUIRE(prog);
  // The filter passes them to the kernel, which answers by itself (EFAULT/EINVAL, not EPERM).
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_clone3, nullptr, 0); }) == EINVAL);
  CHECK(errno_under_filter(*prog, [] { return ::syscall(SYS_keyctl, 0, -3, 0); }) == EPERM);  // never allowed
}
