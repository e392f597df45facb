// The health runner on a real loop with real probe processes: plain children of the
// test (the seam the supervisor fills with an exec into the container).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "engine/supervisor/health_runner.hpp"
#include "engine/supervisor/log_format.hpp"

using namespace stack::supervisor;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kMs = 1'000'000;

// /bin/sh -c script, stdout and stderr on a pipe.
ProbeLauncher shell(std::string script, int* launched = nullptr) {
  return [script, launched]() -> stack::Result<Probe> {
    if (launched) ++*launched;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return stack::fail_errno("pipe2");
    stack::UniqueFd r(p[0]), w(p[1]);
    pid_t pid = ::fork();
    if (pid < 0) return stack::fail_errno("fork");
    if (pid == 0) {
      ::signal(SIGTERM, SIG_DFL);
      ::dup2(w.get(), 1);
      ::dup2(w.get(), 2);
      ::execl("/bin/sh", "sh", "-c", script.c_str(), nullptr);
      ::_exit(127);
    }
    auto fd = open_pidfd(pid);
    if (!fd) return stack::unexpected(fd.error());
    return Probe{pid, std::move(*fd), std::move(r)};
  };
}

struct Loop {
  uv_loop_t loop;
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() { REQUIRE(stack::uv_close_loop(&loop)); }
  // Runs the loop until pred holds or the time is up.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) uv_run(&loop, UV_RUN_ONCE);
    return pred();
  }
};

HealthSpec fast(uint64_t retries, int64_t timeout_ms = 2000) {
  return health_spec(20 * kMs, timeout_ms * kMs, std::nullopt, 20 * kMs, retries);
}

bool process_gone(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return true;
  return stat.find(") Z") != std::string::npos;
}

}  // namespace

TEST_CASE("a healthcheck test's command: CMD runs its words, CMD-SHELL a shell") {
  CHECK(probe_argv({"CMD", "pg_isready", "-q"}) == std::vector<std::string>{"pg_isready", "-q"});
  CHECK(probe_argv({"CMD-SHELL", "curl -f x || exit 1"}) ==
        std::vector<std::string>{"/bin/sh", "-c", "curl -f x || exit 1"});
  CHECK_FALSE(probe_argv({"NONE"}));
  CHECK_FALSE(probe_argv({}));
  CHECK_FALSE(probe_argv({"CMD"}));
}

TEST_CASE("durations print as Go's time.Duration does") {
  CHECK(go_duration(30'000 * kMs) == "30s");
  CHECK(go_duration(200 * kMs) == "200ms");
  CHECK(go_duration(1'500 * kMs) == "1.5s");
  CHECK(go_duration(90'000 * kMs) == "1m30s");
  CHECK(go_duration(3'600'000 * kMs) == "1h0m0s");
}

TEST_CASE("a passing probe makes the container healthy; its output is kept") {
  Loop l;
  std::vector<Health> changes;
  auto h = HealthRunner::create(&l.loop, fast(3), shell("echo ok; echo err >&2"), [&](Health s) { changes.push_back(s); });
  REQUIRE(h);
  CHECK((*h)->status() == Health::kStarting);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return !changes.empty(); }));
  CHECK(changes == std::vector<Health>{Health::kHealthy});
  REQUIRE((*h)->log().size() == 1);
  CHECK((*h)->log()[0].exit_code == 0);
  CHECK((*h)->log()[0].output == "ok\nerr\n");
  CHECK((*h)->log()[0].end_ns >= (*h)->log()[0].start_ns);
  h->reset();
}

TEST_CASE("retries failing probes make it unhealthy; the log keeps the last five") {
  Loop l;
  int launched = 0;
  std::vector<Health> changes;
  auto h = HealthRunner::create(&l.loop, fast(2), shell("echo nope; exit 3", &launched),
                                [&](Health s) { changes.push_back(s); });
  REQUIRE(h);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return !changes.empty(); }));
  CHECK(changes == std::vector<Health>{Health::kUnhealthy});
  CHECK(launched == 2);
  CHECK((*h)->failing_streak() == 2);
  CHECK((*h)->log().back().exit_code == 3);
  CHECK((*h)->log().back().output == "nope\n");
  // Probing goes on while unhealthy (Docker's), and only five results stay.
  REQUIRE(l.run_until([&] { return launched >= 7 && (*h)->log().size() == 5 && (*h)->failing_streak() >= 7; }));
  CHECK((*h)->log().size() == kHealthLogMax);
  h->reset();
}

TEST_CASE("a probe past its timeout is killed with its descendants and counts as a failure") {
  Loop l;
  char tmpl[] = "/tmp/stack-health-XXXXXX";
  REQUIRE(::mkdtemp(tmpl));
  std::string pidfile = std::string(tmpl) + "/bg";
  std::vector<Health> changes;
  auto t0 = std::chrono::steady_clock::now();
  auto h = HealthRunner::create(&l.loop, fast(1, 150), shell("sleep 30 & echo $! > " + pidfile + "; sleep 30"),
                                [&](Health s) { changes.push_back(s); });
  REQUIRE(h);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return !changes.empty(); }));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(changes == std::vector<Health>{Health::kUnhealthy});
  CHECK(took >= 150ms);
  CHECK(took < 3s);
  REQUIRE((*h)->log().size() == 1);
  CHECK((*h)->log()[0].exit_code == -1);
  CHECK((*h)->log()[0].output == "Health check exceeded timeout (150ms)");
  pid_t bg = 0;
  std::ifstream(pidfile) >> bg;
  REQUIRE(bg > 0);
  for (int i = 0; i < 100 && !process_gone(bg); ++i) std::this_thread::sleep_for(10ms);
  CHECK(process_gone(bg));
  h->reset();
  ::unlink(pidfile.c_str());
  ::rmdir(tmpl);
}

TEST_CASE("output beyond 4 KiB is cut, as Docker does") {
  Loop l;
  bool changed = false;
  auto h = HealthRunner::create(&l.loop, fast(1), shell("head -c 100000 /dev/zero | tr '\\0' a"),
                                [&](Health) { changed = true; });
  REQUIRE(h);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return changed; }));
  REQUIRE((*h)->log().size() == 1);
  CHECK((*h)->log()[0].output == std::string(kProbeOutputMax, 'a') + "...");
  CHECK((*h)->status() == Health::kHealthy);
  h->reset();
}

TEST_CASE("failures within start_period do not count") {
  Loop l;
  std::vector<Health> changes;
  auto spec = health_spec(20 * kMs, 1000 * kMs, 400 * kMs, 20 * kMs, 1);
  auto t0 = std::chrono::steady_clock::now();
  auto h = HealthRunner::create(&l.loop, spec, shell("exit 1"), [&](Health s) { changes.push_back(s); });
  REQUIRE(h);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return !changes.empty(); }));
  CHECK(std::chrono::steady_clock::now() - t0 >= 400ms);
  CHECK(changes == std::vector<Health>{Health::kUnhealthy});
  CHECK((*h)->log().size() >= 3);  // probed every start_interval meanwhile
  h->reset();
}

TEST_CASE("stop drops a running probe; start again begins as starting; a launch error is a failure") {
  Loop l;
  int launched = 0;
  std::vector<Health> changes;
  auto h = HealthRunner::create(&l.loop, fast(1), shell("sleep 30", &launched), [&](Health s) { changes.push_back(s); });
  REQUIRE(h);
  (*h)->start(now_ns());
  REQUIRE(l.run_until([&] { return launched == 1; }));
  (*h)->stop();
  CHECK_FALSE((*h)->active());
  l.run_until([] { return false; }, 200ms);  // the killed probe is reaped, nothing recorded
  CHECK(changes.empty());
  CHECK(launched == 1);
  (*h)->start(now_ns());
  CHECK((*h)->status() == Health::kStarting);
  h->reset();  // kills and reaps the probe it may be running

  auto bad = HealthRunner::create(&l.loop, fast(1), [] () -> stack::Result<Probe> { return stack::fail("no such container"); },
                                  [&](Health s) { changes.push_back(s); });
  REQUIRE(bad);
  (*bad)->start(now_ns());
  REQUIRE(l.run_until([&] { return !changes.empty(); }));
  CHECK((*bad)->status() == Health::kUnhealthy);
  CHECK((*bad)->log()[0].output == "no such container");
  bad->reset();
}
