// Stop order and the event stream through the built binary: stop, restart and down
// stop dependants before their dependencies (independent services together), a
// service that ignores its stop signal is SIGKILLed after stop_grace_period, and
// `events --json` carries every step and the healthchecks' health_status changes.
#include <algorithm>

#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {

// web -> api -> db; solo on its own. api's PID 1 has no TERM handler, so the kernel
// drops SIGTERM (pid_namespaces(7)) and only SIGKILL after its 1 s grace ends it.
const char* const kChain = R"(  db:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
  api:
    image: busybox:cm
    command: ["sh", "-c", "while :; do sleep 0.1; done"]
    stop_grace_period: 1s
    depends_on: [db]
  web:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    depends_on: [api]
  solo:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)";

// `events --json` in the background, into a file; read() parses what came so far as
// "service:action" strings.
struct EventLog {
  const StackFixture& fx;
  std::string path = fx.tmp.path() + "/events.json";
  int pid = 0;
  explicit EventLog(const StackFixture& f) : fx(f) {
    pid = std::stoi(run(fx.cmd("events --json") + " > " + path + " 2>&1 & echo $!", false).out);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // subscribed
  }
  ~EventLog() {
    if (cmdtest::alive(pid)) ::kill(pid, SIGTERM);
  }
  std::vector<std::string> read() const {
    std::ifstream in(path);
    std::vector<std::string> seen;
    for (std::string line; std::getline(in, line);) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_discarded() || !e.contains("service")) {
        seen.push_back("?:" + line);
        continue;
      }
      seen.push_back(e["service"].get<std::string>() + ":" + e["action"].get<std::string>());
    }
    return seen;
  }
};

// Position of the first `what` at or after `from`; the size when absent.
std::size_t at(const std::vector<std::string>& seen, const std::string& what, std::size_t from = 0) {
  return std::find(seen.begin() + static_cast<std::ptrdiff_t>(std::min(from, seen.size())), seen.end(), what) -
         seen.begin();
}

std::string joined(const std::vector<std::string>& seen) {
  std::string all;
  for (const auto& s : seen) all += s + " ";
  return all;
}

void check_reverse_order(const std::vector<std::string>& seen, std::size_t from) {
  INFO(joined(seen));
  std::size_t n = seen.size();
  // Dependants first: web is down before api is signalled, api before db.
  CHECK(at(seen, "web:kill", from) < at(seen, "web:die", from));
  CHECK(at(seen, "web:die", from) < at(seen, "web:stop", from));
  CHECK(at(seen, "web:stop", from) < at(seen, "api:kill", from));
  CHECK(at(seen, "api:kill", from) < at(seen, "api:die", from));
  CHECK(at(seen, "api:die", from) < at(seen, "api:stop", from));
  CHECK(at(seen, "api:stop", from) < at(seen, "db:kill", from));
  CHECK(at(seen, "db:kill", from) < at(seen, "db:die", from));
  CHECK(at(seen, "db:die", from) < at(seen, "db:stop", from));
  CHECK(at(seen, "db:stop", from) < n);
  // solo depends on nothing and nothing on it: signalled with the first.
  CHECK(at(seen, "solo:kill", from) < at(seen, "api:kill", from));
  CHECK(at(seen, "solo:stop", from) < n);
}

}  // namespace

TEST_CASE("stop, restart and down go in reverse dependency order; SIGKILL after stop_grace_period", "[commands]") {
  StackFixture fx(kChain);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  REQUIRE(fx.wait_state("web", "running")["State"] == "running");
  EventLog events(fx);

  auto t0 = std::chrono::steady_clock::now();
  auto stop = run(fx.cmd("stop"));
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(stop.out);
  CHECK(stop.status == 0);
  CHECK(took >= 1.0);  // api's grace period, waited for
  CHECK(took < 6.0);   // not the default 10 s
  auto api = fx.container("api");
  CHECK(api["State"] == "exited");
  CHECK(api["ExitCode"] == 137);  // SIGKILLed
  CHECK(fx.container("db")["ExitCode"] == 0);  // its TERM trap
  CHECK(fx.container("web")["ExitCode"] == 0);
  auto log = run("cat " + fx.run_root + "/stacks/" + fx.project + "/supervisor.log").out;
  INFO(log);
  CHECK(log.find(fx.project + "-api-1: stopping: signal 15, SIGKILL after 1000 ms") != std::string::npos);
  CHECK(log.find(fx.project + "-db-1: stopping: signal 15, SIGKILL after 10000 ms") != std::string::npos);
  auto seen = events.read();
  check_reverse_order(seen, 0);

  REQUIRE(run(fx.cmd("start")).status == 0);
  REQUIRE(fx.wait_state("web", "running")["State"] == "running");
  std::size_t before_restart = events.read().size();
  t0 = std::chrono::steady_clock::now();
  auto restart = run(fx.cmd("restart -t 3"));
  took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(restart.out);
  CHECK(restart.status == 0);
  CHECK(took >= 3.0);  // -t replaces api's grace period
  seen = events.read();
  check_reverse_order(seen, before_restart);
  // Then up again dependencies first.
  {
    INFO(joined(seen));
    std::size_t db_up = at(seen, "db:restart", before_restart), api_up = at(seen, "api:restart", before_restart),
                web_up = at(seen, "web:restart", before_restart);
    CHECK(db_up < api_up);
    CHECK(api_up < web_up);
    CHECK(web_up < seen.size());
  }

  std::size_t before_down = seen.size();
  fx.down_clean();
  for (int i = 0; i < 50 && cmdtest::alive(events.pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(!cmdtest::alive(events.pid));  // the stream ends with the stack
  check_reverse_order(events.read(), before_down);
}

TEST_CASE("events --json carries health_status changes", "[commands]") {
  // Unhealthy at the first probe, healthy while /tmp/ok exists (from 1 s after the
  // start; events subscribes well before), unhealthy again after 2.5 s.
  StackFixture fx(R"(  db:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ok; sleep 1.5; rm /tmp/ok; while :; do sleep 0.1; done"]
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ok"]
      interval: 200ms
      retries: 1
)");
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  EventLog events(fx);
  const std::string healthy_event = "db:health_status: healthy", unhealthy_event = "db:health_status: unhealthy";
  std::vector<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    seen = events.read();
    if (at(seen, unhealthy_event, at(seen, healthy_event)) < seen.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(joined(seen));
  std::size_t healthy = at(seen, healthy_event);
  CHECK(healthy < seen.size());
  CHECK(at(seen, unhealthy_event, healthy) < seen.size());
  CHECK(fx.container("db")["Health"] == "unhealthy");
  auto line = run("grep -m1 'health_status: unhealthy' " + events.path).out;
  auto e = nlohmann::json::parse(line, nullptr, false);
  REQUIRE(!e.is_discarded());
  CHECK(e["type"] == "container");
  CHECK(e["id"] == fx.project + "-db-1");
  CHECK(e["attributes"]["name"] == fx.project + "-db-1");
  fx.down_clean();
}

TEST_CASE("down stops an orphan gracefully too: its stop signal, not SIGKILL", "[commands]") {
  StackFixture fx(R"(  db:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
  old:
    image: busybox:cm
    command: ["sh", "-c", "trap 'echo old-got-term; exit 3' TERM; while :; do sleep 0.1; done"]
)");
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  REQUIRE(fx.wait_state("old", "running")["State"] == "running");
  // old leaves the stack file: an orphan that keeps running (compose warns).
  fx.write(R"(  db:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)");
  auto again = run(fx.cmd("up -d"));
  INFO(again.out);
  REQUIRE(again.status == 0);
  CHECK(again.out.find("Found orphan containers") != std::string::npos);
  REQUIRE(fx.container("old")["State"] == "running");
  EventLog events(fx);
  fx.down_clean();
  for (int i = 0; i < 50 && cmdtest::alive(events.pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string text = run("cat " + events.path, false).out;
  INFO(text);
  // Its TERM trap ran: exit 3, not 137.
  CHECK(text.find("\"action\":\"die\"") != std::string::npos);
  bool orphan_died_of_term = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_discarded() && e.value("service", "") == "old" && e.value("action", "") == "die")
      orphan_died_of_term = e["attributes"].value("exitCode", "") == "3";
  }
  CHECK(orphan_died_of_term);
}
