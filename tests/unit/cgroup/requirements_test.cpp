#include <catch2/catch.hpp>

#include "engine/cgroup/limits_common.hpp"
#include "engine/cgroup/requirements.hpp"

using namespace stack::cgroup;

namespace {
Limits sample() {
  Limits l;
  l.memory = 64 << 20;
  l.memory_swap = 128 << 20;
  l.cpu_quota_us = 50000;
  l.pids = 20;
  return l;
}
auto all_controllers = [](const std::string&) { return true; };
}  // namespace

TEST_CASE("v1 requirements name the files") {
  auto reqs = v1_requirements(sample());
  REQUIRE(reqs.size() == 4);
  CHECK(reqs[0].limit == "mem_limit");
  CHECK(reqs[1].files == std::vector<std::string>{"memory.memsw.limit_in_bytes"});
  CHECK(reqs[2].files == std::vector<std::string>{"cpu.cfs_quota_us"});
  CHECK(reqs[3].controller == "pids");
}

TEST_CASE("v2 requirements name the files") {
  Limits l = sample();
  l.cpu_shares = 512;
  auto reqs = v2_requirements(l);
  REQUIRE(reqs.size() == 5);
  CHECK(reqs[1].files == std::vector<std::string>{"memory.swap.max"});
  CHECK(reqs[3].limit == "cpu_shares");
  CHECK(reqs[3].files == std::vector<std::string>{"cpu.weight"});
}

TEST_CASE("swap without accounting: an error naming the limit and the reason") {
  auto no_memsw = [](const Requirement& r) { return r.limit != "memswap_limit"; };
  auto r = judge(v1_requirements(sample()), Enforcement::kStrict, all_controllers, no_memsw);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::StartsWith("memswap_limit: cannot be enforced"));
  CHECK_THAT(r.error().message, Catch::Contains("swap accounting is off"));
}

TEST_CASE("a missing controller: error, or a warning when downgraded") {
  auto no_pids = [](const std::string& c) { return c != "pids"; };
  auto strict = judge(v1_requirements(sample()), Enforcement::kStrict, no_pids, nullptr);
  REQUIRE_FALSE(strict);
  CHECK(strict.error().message ==
        "pids_limit: cannot be enforced on this host: the pids controller is not available");
  auto warn = judge(v1_requirements(sample()), Enforcement::kWarn, no_pids, nullptr);
  REQUIRE(warn);
  REQUIRE(warn->warnings.size() == 1);
  CHECK_THAT(warn->warnings[0], Catch::Contains("pids_limit"));
  CHECK(warn->skipped == std::set<std::string>{"pids_limit"});
}

TEST_CASE("cpu_weight has no v1 file") {
  Limits l;
  l.cpu_weight = 200;
  auto r = judge(v1_requirements(l), Enforcement::kStrict, all_controllers,
                 [](const Requirement& q) { return q.files.front() != "cpu.weight"; });
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("cgroup v1 has no cpu.weight"));
}

TEST_CASE("all enforceable: no warnings") {
  auto r = judge(v2_requirements(sample()), Enforcement::kStrict, all_controllers,
                 [](const Requirement&) { return true; });
  REQUIRE(r);
  CHECK(r->warnings.empty());
  CHECK(r->skipped.empty());
}

TEST_CASE("values the kernel would refuse are caught first") {
  Limits l;
  l.pids = 0;
  CHECK_FALSE(check_limit_values(l));
  l.pids = -1;
  CHECK(check_limit_values(l));
  l.memory = 1 << 20;
  auto small = check_limit_values(l);
  REQUIRE_FALSE(small);
  CHECK_THAT(small.error().message, Catch::StartsWith("mem_limit"));
  Limits c;
  c.cpuset_cpus = "0-";
  CHECK_FALSE(check_limit_values(c));
  Limits s;
  s.cpu_shares = 1;
  CHECK_FALSE(check_limit_values(s));
}

TEST_CASE("io stat parsing") {
  Stats s;
  add_io_stat_v2("8:0 rbytes=100 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=5 wbytes=1\n", s);
  CHECK(s.io_read_bytes == 105);
  CHECK(s.io_write_bytes == 21);
  Stats t;
  add_io_stat_v1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Total 4608\nTotal 4608\n", t);
  CHECK(t.io_read_bytes == 4096);
  CHECK(t.io_write_bytes == 512);
}
