#include <catch2/catch.hpp>

#include "engine/cgroup/mapping.hpp"

using namespace stack::cgroup;

TEST_CASE("cpus -> cpu.max quota and period") {
  CHECK(cpus_to_cpu_max(0.5)->quota_us == 50000);
  CHECK(cpus_to_cpu_max(0.5)->period_us == 100000);
  CHECK(cpus_to_cpu_max(2)->quota_us == 200000);
  CHECK(cpus_to_cpu_max(1.25)->quota_us == 125000);
  CHECK(cpus_to_cpu_max(0)->quota_us == -1);  // 0 = no limit, as compose
  CHECK_FALSE(cpus_to_cpu_max(-1));
  CHECK_FALSE(cpus_to_cpu_max(0.001));
}

TEST_CASE("cpu_shares -> cpu.weight, crun/runc >= 1.3.2 log-quadratic mapping") {
  CHECK(shares_to_weight(0) == 0);
  CHECK(shares_to_weight(2) == 1);
  CHECK(shares_to_weight(1024) == 100);  // default maps to default (runc 1.2 gave 39)
  CHECK(shares_to_weight(2000) == 170);  // runc issue #4896's example
  CHECK(shares_to_weight(262144) == 10000);
  CHECK(shares_to_weight(1000000) == 10000);
  CHECK(shares_to_weight(512) < 100);
  CHECK(shares_to_weight(4096) > 100);
  uint64_t prev = 0;
  for (uint64_t s = 2; s <= 262144; s *= 2) {
    CHECK(shares_to_weight(s) >= prev);  // monotonic
    prev = shares_to_weight(s);
  }
}

TEST_CASE("blkio weight -> io.weight") {
  CHECK(blkio_weight_to_io_weight(10) == 1);
  CHECK(blkio_weight_to_io_weight(1000) == 10000);
  CHECK(blkio_weight_to_io_weight(500) == 1 + 490 * 9999 / 990);
}

TEST_CASE("memswap_limit follows Docker") {
  const int64_t m = 64 << 20;
  CHECK(*resolve_memory_swap(m, std::nullopt, true) == 2 * m);  // default: 2 x memory
  CHECK_FALSE(*resolve_memory_swap(m, std::nullopt, false));     // not accounted: unset
  CHECK(*resolve_memory_swap(m, -1, true) == -1);                 // unlimited swap
  CHECK(*resolve_memory_swap(m, 3 * m, true) == 3 * m);
  CHECK_FALSE(*resolve_memory_swap(std::nullopt, std::nullopt, true));
  CHECK_FALSE(resolve_memory_swap(std::nullopt, 3 * m, true));  // needs mem_limit
  auto small = resolve_memory_swap(m, m / 2, true);
  REQUIRE_FALSE(small);
  CHECK_THAT(small.error().message, Catch::Contains("memswap_limit"));
}

TEST_CASE("v2 swap is memswap minus memory") {
  CHECK(*v2_swap_max(100, 300) == 200);
  CHECK(*v2_swap_max(100, 100) == 0);
  CHECK(*v2_swap_max(100, -1) == -1);
  CHECK_FALSE(v2_swap_max(100, std::nullopt));
  CHECK(v2_value(-1) == "max");
  CHECK(v2_value(42) == "42");
}

TEST_CASE("io.max lines group throttles per device") {
  BlkioLimits b;
  b.read_bps = {{8, 0, 1048576}};
  b.write_iops = {{8, 0, 10}, {8, 16, 20}};
  auto lines = io_max_lines(b);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "8:0 rbps=1048576 wbps=max riops=max wiops=10");
  CHECK(lines[1] == "8:16 rbps=max wbps=max riops=max wiops=20");
  CHECK(io_max_lines(BlkioLimits{}).empty());
}

TEST_CASE("cpu lists") {
  CHECK(check_cpu_list("cpuset", "0"));
  CHECK(check_cpu_list("cpuset", "0-3,5"));
  CHECK_FALSE(check_cpu_list("cpuset", ""));
  CHECK_FALSE(check_cpu_list("cpuset", "0-"));
  CHECK_FALSE(check_cpu_list("cpuset", "a"));
  CHECK_FALSE(check_cpu_list("cpuset", "1,,2"));
}
