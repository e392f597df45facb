#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tests/integration/cgroup/support.hpp"

using namespace stack::cgroup;
using namespace stack::cgroup::itest;

namespace {
[[noreturn]] void spin() {
  volatile unsigned long x = 0;
  for (;;) x = x + 1;
}
}  // namespace

TEST_CASE("a busy loop under cpus 0.5 uses 0.5 +- 0.1 cpu-seconds per second") {
  Driver& d = host_driver();
  TestGroup g("cpu");
  Limits l;
  l.cpu_quota_us = 50000;  // cpus: 0.5
  // The group competes as one scheduling entity with every other task of its parent
  // (sched-design-CFS "group scheduling"); on a shared, busy 2-core host a default weight
  // alone gets less than half a core. A high weight makes the quota the only bound.
  // The weight counts among siblings only, so the top test group needs it as well.
  l.cpu_shares = 8192;
  Limits top;
  top.cpu_shares = 8192;
  REQUIRE(d.apply(prefix(), top, Enforcement::kStrict));
  REQUIRE(d.apply(g.rel(), l, Enforcement::kStrict));
  // Four spinners want four cores: the quota must be what holds them to 0.5.
  std::vector<std::unique_ptr<Child>> spinners;
  for (int i = 0; i < 4; ++i) spinners.push_back(std::make_unique<Child>(d, g.rel(), spin));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // settle into throttling

  auto s0 = d.stats(g.rel());
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(s0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto s1 = d.stats(g.rel());
  auto t1 = std::chrono::steady_clock::now();
  REQUIRE(s1);
  double wall = std::chrono::duration<double>(t1 - t0).count();
  double cpu = static_cast<double>(s1->cpu_usage_ns - s0->cpu_usage_ns) / 1e9;
  double ratio = cpu / wall;
  WARN("cpus 0.5: " << cpu << " cpu-s over " << wall << " s = " << ratio << " cpu-s/s");
  CHECK(ratio >= 0.4);
  CHECK(ratio <= 0.6);
  REQUIRE(d.kill_all(g.rel()));
  for (auto& c : spinners) c->wait();
}
