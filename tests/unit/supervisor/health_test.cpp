#include <catch2/catch.hpp>

#include "engine/supervisor/health.hpp"

using namespace stack::supervisor;

namespace {
constexpr int64_t kSec = 1'000'000'000;
}

TEST_CASE("healthcheck defaults are Docker's; zero takes the default") {
  auto s = health_spec(std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt);
  CHECK(s.interval_ns == 30 * kSec);
  CHECK(s.timeout_ns == 30 * kSec);
  CHECK(s.start_period_ns == 0);
  CHECK(s.start_interval_ns == 5 * kSec);
  CHECK(s.retries == 3);
  s = health_spec(0, 2 * kSec, 0, 0, 0);
  CHECK(s.interval_ns == 30 * kSec);
  CHECK(s.timeout_ns == 2 * kSec);
  CHECK(s.retries == 3);
}

TEST_CASE("retries consecutive failures make a container unhealthy; a success heals") {
  HealthTracker h(health_spec(kSec, kSec, 0, 0, 3), 0);
  CHECK(h.status() == Health::kStarting);
  CHECK(to_string(h.status()) == "starting");
  CHECK_FALSE(h.on_result(1, false, kSec));
  CHECK_FALSE(h.on_result(2, false, 2 * kSec));  // any non-zero exit is a failure
  CHECK(h.failing_streak() == 2);
  CHECK(h.on_result(1, false, 3 * kSec));
  CHECK(h.status() == Health::kUnhealthy);
  CHECK(h.on_result(0, false, 4 * kSec));
  CHECK(h.status() == Health::kHealthy);
  CHECK(h.failing_streak() == 0);
  CHECK_FALSE(h.on_result(1, false, 5 * kSec));
  CHECK_FALSE(h.on_result(0, false, 6 * kSec));  // the streak was broken
  CHECK_FALSE(h.on_result(1, false, 7 * kSec));
  CHECK_FALSE(h.on_result(1, false, 8 * kSec));
  CHECK(h.status() == Health::kHealthy);
  CHECK(h.on_result(1, false, 9 * kSec));
  CHECK(to_string(h.status()) == "unhealthy");
}

TEST_CASE("a probe that times out fails, whatever it would have returned") {
  HealthTracker h(health_spec(kSec, kSec, 0, 0, 1), 0);
  CHECK(h.on_result(0, true, kSec));
  CHECK(h.status() == Health::kUnhealthy);
}

TEST_CASE("failures within start_period do not count until the first success") {
  HealthTracker h(health_spec(5 * kSec, kSec, 10 * kSec, kSec, 2), 100 * kSec);
  for (int i = 1; i <= 9; ++i) CHECK_FALSE(h.on_result(1, false, (100 + i) * kSec));
  CHECK(h.failing_streak() == 0);
  CHECK(h.status() == Health::kStarting);
  CHECK_FALSE(h.on_result(1, false, 110 * kSec));  // the period is over: this one counts
  CHECK(h.failing_streak() == 1);
  CHECK(h.on_result(1, false, 111 * kSec));
  CHECK(h.status() == Health::kUnhealthy);

  HealthTracker early(health_spec(5 * kSec, kSec, 10 * kSec, kSec, 2), 0);
  CHECK(early.on_result(0, false, 2 * kSec));  // a success within the period: healthy
  CHECK(early.status() == Health::kHealthy);
  CHECK_FALSE(early.on_result(1, false, 3 * kSec));  // once healthy, failures count
  CHECK(early.on_result(1, false, 4 * kSec));
  CHECK(early.status() == Health::kUnhealthy);
}

TEST_CASE("probes come every start_interval while starting within start_period, else every interval") {
  HealthTracker h(health_spec(30 * kSec, kSec, 10 * kSec, 2 * kSec, 3), 0);
  CHECK(h.next_probe_in(0) == 2 * kSec);
  CHECK(h.next_probe_in(9 * kSec) == 2 * kSec);
  CHECK(h.next_probe_in(10 * kSec) == 30 * kSec);
  h.on_result(0, false, 4 * kSec);
  CHECK(h.next_probe_in(5 * kSec) == 30 * kSec);  // healthy: the normal interval
  HealthTracker none(health_spec(30 * kSec, kSec, 0, 2 * kSec, 3), 0);
  CHECK(none.next_probe_in(0) == 30 * kSec);  // no start period: start_interval unused
}

TEST_CASE("a simulated service: fails for 12 s after start, then passes") {
  // interval 5 s, start_period 10 s, start_interval 1 s, retries 3.
  HealthTracker h(health_spec(5 * kSec, kSec, 10 * kSec, kSec, 3), 0);
  int64_t now = 0;
  std::vector<std::pair<int64_t, Health>> changes;
  while (now < 40 * kSec) {
    now += h.next_probe_in(now);
    int code = now < 12 * kSec ? 1 : 0;
    if (h.on_result(code, false, now)) changes.emplace_back(now / kSec, h.status());
  }
  // Probes at 1..10 s (start interval; failures not counted), then 15 s: passes.
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] == std::make_pair(int64_t{15}, Health::kHealthy));
}
