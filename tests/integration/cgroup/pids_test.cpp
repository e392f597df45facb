#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/integration/cgroup/support.hpp"

using namespace stack::cgroup;
using namespace stack::cgroup::itest;

namespace {
[[noreturn]] void fork_bomb() {
  for (;;) {
    if (::fork() < 0) ::usleep(1000);  // EAGAIN at pids.max: keep trying, as a bomb does
  }
}
}  // namespace

TEST_CASE("a fork bomb under pids 20 is contained and the host can still fork") {
  Driver& d = host_driver();
  TestGroup g("forkbomb");
  Limits l;
  l.pids = 20;
  l.cpu_quota_us = 20000;  // keep the spinning bomb from starving the other helpers
  REQUIRE(d.apply(g.rel(), l, Enforcement::kStrict));
  Child bomb(d, g.rel(), fork_bomb);

  uint64_t peak = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (peak < 20 && std::chrono::steady_clock::now() < deadline) {
    auto s = d.stats(g.rel());
    REQUIRE(s);
    peak = std::max(peak, s->pids_current);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(peak == 20);  // reached the limit, and never more
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto s = d.stats(g.rel());
  REQUIRE(s);
  CHECK(s->pids_current <= 20);
  auto listed = d.pids(g.rel());
  REQUIRE(listed);
  CHECK(listed->size() <= 20);

  // Outside the group, this process forks fine.
  pid_t p = ::fork();
  if (p == 0) ::_exit(7);
  REQUIRE(p > 0);
  int st = 0;
  REQUIRE(::waitpid(p, &st, 0) == p);
  CHECK(WEXITSTATUS(st) == 7);

  REQUIRE(d.kill_all(g.rel()));
  auto after = d.pids(g.rel());
  REQUIRE(after);
  CHECK(after->empty());
  bomb.wait();
}
