#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "tests/integration/cgroup/support.hpp"

using namespace stack::cgroup;
using namespace stack::cgroup::itest;

namespace {
// Allocates and touches 1 MiB at a time, up to 1 GiB: far past a 32m limit (and past
// the default swap allowance of 2 x memory). Exits 0 only if no limit stopped it.
void memory_hog() {
  for (int i = 0; i < 1024; ++i) {
    auto* p = static_cast<char*>(std::malloc(1 << 20));
    if (!p) ::_exit(3);
    std::memset(p, i & 0xff, 1 << 20);
  }
  ::_exit(0);
}
}  // namespace

TEST_CASE("a memory hog in a 32m limit is OOM-killed and the watch reports it") {
  Driver& d = host_driver();
  TestGroup g("oom");
  Limits l;
  l.memory = 32 << 20;
  REQUIRE(d.apply(g.rel(), l, Enforcement::kStrict));
  auto watch = d.watch_oom(g.rel());
  REQUIRE(watch);
  auto before = d.oom_kill_count(g.rel());
  REQUIRE(before);
  CHECK(*before == 0);

  auto start = std::chrono::steady_clock::now();
  Child hog(d, g.rel(), memory_hog);
  // Detection is the fd waking up: the test fails if the kernel's notification never
  // comes. The wake-up can precede the kill's count (v1 signals the OOM condition before
  // the killer runs; v2 also reports memory.max events), so then re-read the count.
  pollfd p{watch->fd(), POLLIN, 0};
  int woke = ::poll(&p, 1, 30000);
  CHECK(woke == 1);
  auto drained = watch->drain();
  REQUIRE(drained);
  CHECK(*drained >= 1);
  uint64_t kills = 0;
  while (woke == 1 && kills == 0 && std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    auto count = d.oom_kill_count(g.rel());
    REQUIRE(count);
    kills = *count;
    if (kills == 0) ::poll(&p, 1, 10);
  }
  int status = hog.wait();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  WARN("OOM kill seen after " << ms.count() << " ms; oom_kill=" << kills
                              << (hog.cloned_into_cgroup() ? " (clone3 CLONE_INTO_CGROUP)" : " (place_pid)"));
  CHECK(kills >= 1);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
}
