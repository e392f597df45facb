#include <catch2/catch.hpp>

#include "engine/supervisor/restart_policy.hpp"

using namespace stack::supervisor;

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kSec = 1'000 * kMs;

RestartSpec spec(const std::string& s) {
  auto r = restart_spec(s, std::nullopt);
  REQUIRE(r);
  return *r;
}

// Runs a container that always exits with `code` after `ran` until the policy gives
// up (or `limit` runs); returns the number of restarts and the delays asked for.
struct Sim {
  uint64_t restarts = 0;
  std::vector<int64_t> delays;
  std::string reason;
};
Sim simulate(RestartSpec s, int code, int64_t ran, int limit = 100) {
  RestartTracker t(s);
  Sim sim;
  int64_t now = 0;
  for (int run = 0; run < limit; ++run) {
    now += ran;
    auto d = t.on_exit(code, false, ran, now);
    if (!d.restart) {
      sim.reason = d.reason;
      break;
    }
    sim.delays.push_back(d.delay_ns);
    now += d.delay_ns;
  }
  sim.restarts = t.restart_count();
  return sim;
}

}  // namespace

TEST_CASE("restart: values are parsed like compose's") {
  CHECK(spec("").mode == RestartMode::kNo);
  CHECK(spec("no").mode == RestartMode::kNo);
  CHECK(spec("always").mode == RestartMode::kAlways);
  CHECK(spec("unless-stopped").mode == RestartMode::kUnlessStopped);
  CHECK(spec("on-failure").mode == RestartMode::kOnFailure);
  CHECK(spec("on-failure").max_restarts == 0);
  CHECK(spec("on-failure:3").max_restarts == 3);
  for (const char* bad : {"sometimes", "always:3", "on-failure:", "on-failure:x", "on-failure:-1", "no:1", "On-Failure"}) {
    INFO(bad);
    CHECK_FALSE(restart_spec(bad, std::nullopt));
  }
}

TEST_CASE("deploy.restart_policy wins over restart: and maps its conditions") {
  DeployRestartPolicy d;
  d.condition = "on-failure";
  d.max_attempts = 2;
  d.delay_ns = 5 * kSec;
  auto s = restart_spec("always", d);
  REQUIRE(s);
  CHECK(s->mode == RestartMode::kOnFailure);
  CHECK(s->max_restarts == 2);
  CHECK(*s->delay_ns == 5 * kSec);
  d.condition = "none";
  CHECK(restart_spec("always", d)->mode == RestartMode::kNo);
  d.condition = "any";
  CHECK(restart_spec("", d)->mode == RestartMode::kAlways);
  d.condition = "";  // the compose spec's default condition is any
  CHECK(restart_spec("", d)->mode == RestartMode::kAlways);
  d.condition = "always";
  CHECK_FALSE(restart_spec("", d));
}

TEST_CASE("on-failure:3 restarts a service that always exits 1 exactly 3 times") {
  auto sim = simulate(spec("on-failure:3"), 1, 50 * kMs);
  CHECK(sim.restarts == 3);
  CHECK(sim.delays == std::vector<int64_t>{100 * kMs, 200 * kMs, 400 * kMs});
  CHECK(sim.reason == "maximum restart count reached (3)");
  // A kill by signal is a failure too (exit 128+n).
  CHECK(simulate(spec("on-failure:2"), 137, kSec).restarts == 2);
}

TEST_CASE("on-failure leaves a successful exit alone, no never restarts, always always does") {
  auto ok = simulate(spec("on-failure"), 0, kSec);
  CHECK(ok.restarts == 0);
  CHECK(ok.reason == "exited successfully");
  CHECK(simulate(spec("no"), 1, kSec).restarts == 0);
  CHECK(simulate(spec("always"), 0, kSec, 50).restarts == 50);
  CHECK(simulate(spec("unless-stopped"), 1, kSec, 50).restarts == 50);
  CHECK(simulate(spec("on-failure"), 1, kSec, 50).restarts == 50);  // no count: no limit
}

TEST_CASE("the backoff doubles from 100 ms to the cap and resets after 10 s of running") {
  auto sim = simulate(spec("always"), 1, kSec, 14);
  REQUIRE(sim.delays.size() == 14);
  int64_t expect = 100 * kMs;
  for (auto d : sim.delays) {
    CHECK(d == expect);
    expect = std::min(expect * 2, kBackoffCapNs);
  }
  CHECK(sim.delays.back() == kBackoffCapNs);

  RestartTracker t(spec("always"));
  CHECK(t.on_exit(1, false, kSec, 0).delay_ns == 100 * kMs);
  CHECK(t.on_exit(1, false, kSec, 0).delay_ns == 200 * kMs);
  CHECK(t.on_exit(1, false, 9 * kSec, 0).delay_ns == 400 * kMs);
  CHECK(t.on_exit(1, false, 10 * kSec, 0).delay_ns == 100 * kMs);  // ran 10 s: reset
  CHECK(t.on_exit(1, false, kSec, 0).delay_ns == 200 * kMs);
  CHECK(t.restart_count() == 5);  // RestartCount is never reset
}

TEST_CASE("a stop by the user is never followed by a restart") {
  for (const char* p : {"always", "unless-stopped", "on-failure"}) {
    RestartTracker t(spec(p));
    auto d = t.on_exit(137, true, kSec, 0);
    CHECK_FALSE(d.restart);
    CHECK(d.reason == "stopped by the user");
    CHECK(t.restart_count() == 0);
  }
}

TEST_CASE("deploy delay is fixed; max_attempts counts within the window") {
  DeployRestartPolicy d;
  d.condition = "any";
  d.delay_ns = 3 * kSec;
  d.max_attempts = 2;
  d.window_ns = 60 * kSec;
  RestartTracker t(*restart_spec("", d));
  CHECK(t.on_exit(0, false, kSec, 0).delay_ns == 3 * kSec);
  CHECK(t.on_exit(0, false, kSec, 10 * kSec).delay_ns == 3 * kSec);
  auto third = t.on_exit(0, false, kSec, 20 * kSec);
  CHECK_FALSE(third.restart);
  CHECK(third.reason == "maximum restart count reached (2)");
  // The first restart (t=0) left the window at t=60 s: one more is allowed.
  CHECK(t.on_exit(0, false, kSec, 61 * kSec).restart);
  CHECK_FALSE(t.on_exit(0, false, kSec, 62 * kSec).restart);
  CHECK(t.restart_count() == 3);

  d.window_ns.reset();  // no window: max_attempts counts every restart
  auto sim = simulate(*restart_spec("", d), 1, 100 * kSec);
  CHECK(sim.restarts == 2);
}

TEST_CASE("which policies bring a container back when the supervisor starts again") {
  CHECK(restart_on_boot(RestartMode::kAlways, false));
  CHECK(restart_on_boot(RestartMode::kAlways, true));
  CHECK(restart_on_boot(RestartMode::kUnlessStopped, false));
  CHECK_FALSE(restart_on_boot(RestartMode::kUnlessStopped, true));
  CHECK_FALSE(restart_on_boot(RestartMode::kOnFailure, false));
  CHECK_FALSE(restart_on_boot(RestartMode::kNo, false));
}
