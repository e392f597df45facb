#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "engine/cgroup/fs.hpp"
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

  // pids.current may read limit+1 for an instant: the kernel charges a fork first and
  // reverts when over the limit (kernel/cgroup/pids.c). So the containment checks count
  // the processes actually in the group, and pids.events shows the refused forks.
  uint64_t peak = 0;
  size_t most = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (peak < 20 && std::chrono::steady_clock::now() < deadline) {
    auto s = d.stats(g.rel());
    REQUIRE(s);
    peak = std::max(peak, s->pids_current);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(peak >= 20);  // the bomb reached the limit
  for (int i = 0; i < 10; ++i) {
    auto listed = d.pids(g.rel());
    REQUIRE(listed);
    most = std::max(most, listed->size());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  CHECK(most == 20);  // and never got past it
  auto events = stack::cgroup::fs::read_keyed(file_of("pids", g.rel(), "pids.events"), "max");
  REQUIRE(events);
  REQUIRE(*events);
  CHECK(**events > 0);  // forks were refused
  WARN("fork bomb: " << most << " processes, " << **events << " forks refused by pids.max");

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
