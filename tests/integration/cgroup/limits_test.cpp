#include <catch2/catch.hpp>

#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/host.hpp"
#include "engine/cgroup/mapping.hpp"
#include "tests/integration/cgroup/support.hpp"

using namespace stack::cgroup;
using namespace stack::cgroup::itest;

TEST_CASE("the detected driver matches the host's mounts") {
  Driver& d = host_driver();
  auto layout = read_host_layout();
  REQUIRE(layout);
  CHECK(d.mode() == layout->mode);
}

TEST_CASE("limits are visible in the cgroup files") {
  Driver& d = host_driver();
  TestGroup g("limits");
  Limits l;
  l.memory = 32 << 20;
  l.memory_reservation = 16 << 20;
  l.cpu_quota_us = 50000;
  l.cpu_shares = 512;
  l.pids = 20;
  auto warnings = d.apply(g.rel(), l, Enforcement::kStrict);
  REQUIRE(warnings);
  for (const auto& w : *warnings) WARN(w);
  if (d.mode() == Mode::kUnified) {
    CHECK(read_trimmed(file_of("memory", g.rel(), "memory.max")) == "33554432");
    CHECK(read_trimmed(file_of("memory", g.rel(), "memory.low")) == "16777216");
    if (fs::exists(file_of("memory", g.rel(), "memory.swap.max")))
      CHECK(read_trimmed(file_of("memory", g.rel(), "memory.swap.max")) == "33554432");
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.max")) == "50000 100000");
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.weight")) == std::to_string(shares_to_weight(512)));
    CHECK(read_trimmed(file_of("pids", g.rel(), "pids.max")) == "20");
  } else {
    CHECK(read_trimmed(file_of("memory", g.rel(), "memory.limit_in_bytes")) == "33554432");
    CHECK(read_trimmed(file_of("memory", g.rel(), "memory.soft_limit_in_bytes")) == "16777216");
    if (fs::exists(file_of("memory", g.rel(), "memory.memsw.limit_in_bytes")))
      CHECK(read_trimmed(file_of("memory", g.rel(), "memory.memsw.limit_in_bytes")) == "67108864");
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.cfs_quota_us")) == "50000");
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.cfs_period_us")) == "100000");
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.shares")) == "512");
    CHECK(read_trimmed(file_of("pids", g.rel(), "pids.max")) == "20");
  }
  auto stats = d.stats(g.rel());
  REQUIRE(stats);
  REQUIRE(stats->memory_limit);
  CHECK(*stats->memory_limit == 32u << 20);

  // Lifting limits again: -1 means unlimited in both spellings.
  Limits lift;
  lift.pids = -1;
  lift.cpu_quota_us = -1;
  REQUIRE(d.apply(g.rel(), lift, Enforcement::kStrict));
  CHECK(read_trimmed(file_of("pids", g.rel(), "pids.max")) == "max");
  if (d.mode() == Mode::kUnified)
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.max")) == "max 100000");
  else
    CHECK(read_trimmed(file_of("cpu", g.rel(), "cpu.cfs_quota_us")) == "-1");
}

TEST_CASE("what this host cannot enforce is refused, naming the limit") {
  Driver& d = host_driver();
  TestGroup g("refuse");
  Limits l;
  if (d.mode() == Mode::kUnified) {
    l.blkio.weight = 500;  // io.weight needs a proportional scheduler: may or may not exist
    auto r = d.apply(g.rel(), l, Enforcement::kStrict);
    if (!r) CHECK_THAT(r.error().message, Catch::StartsWith("blkio_config.weight: cannot be enforced"));
    Limits bad;
    bad.cpuset_cpus = "4096";  // no such CPU: the kernel refuses the write
    auto w = d.apply(g.rel(), bad, Enforcement::kStrict);
    REQUIRE_FALSE(w);
    CHECK_THAT(w.error().message, Catch::Contains("cpuset"));
  } else {
    l.cpu_weight = 200;
    auto strict = d.apply(g.rel(), l, Enforcement::kStrict);
    REQUIRE_FALSE(strict);
    CHECK_THAT(strict.error().message, Catch::StartsWith("cpu_weight: cannot be enforced"));
    auto warn = d.apply(g.rel(), l, Enforcement::kWarn);
    REQUIRE(warn);
    REQUIRE(warn->size() == 1);
    CHECK_THAT(warn->front(), Catch::Contains("cgroup v1 has no cpu.weight"));
    Limits swap;
    swap.memory = 32 << 20;
    swap.memory_swap = 64 << 20;
    bool accounted = fs::exists(file_of("memory", g.rel(), "memory.memsw.limit_in_bytes"));
    auto s = d.check(swap, Enforcement::kStrict);
    CHECK(bool(s) == accounted);
  }
}
