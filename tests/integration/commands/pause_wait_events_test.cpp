// pause / unpause (the freezer), wait (exit codes) and events (the stream) through the
// built binary, and nothing left behind.
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {

const char* const kServices = R"(  counter:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; i=0; while :; do i=$$((i+1)); echo $$i; sleep 0.05; done"]
  three:
    image: busybox:cm
    command: ["sh", "-c", "sleep 1; exit 3"]
)";

}  // namespace

TEST_CASE("pause freezes a container until unpause; down thaws a paused one", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  REQUIRE(fx.wait_state("counter", "running")["State"] == "running");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  auto pause = run(fx.cmd("pause counter"));
  INFO(pause.out);
  REQUIRE(pause.status == 0);
  CHECK(pause.out.find("Container " + fx.project + "-counter-1  Paused") != std::string::npos);
  CHECK(fx.container("counter")["State"] == "paused");
  CHECK(run(fx.cmd("ps")).out.find("(Paused)") != std::string::npos);  // Docker: "Up 5 seconds (Paused)"
  int frozen_at = cmdtest::lines(fx.logs("counter"));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  int later = cmdtest::lines(fx.logs("counter"));
  CHECK(frozen_at > 0);
  CHECK(later == frozen_at);
  CHECK(run(fx.cmd("pause counter")).status == 1);  // already paused
  auto kill = run(fx.cmd("kill counter"));
  CHECK(kill.status == 1);  // docker: unpause first
  CHECK(kill.out.find("paused") != std::string::npos);

  auto unpause = run(fx.cmd("unpause counter"));
  INFO(unpause.out);
  CHECK(unpause.status == 0);
  CHECK(unpause.out.find("Container " + fx.project + "-counter-1  Unpaused") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(cmdtest::lines(fx.logs("counter")) > later + 3);
  CHECK(fx.container("counter")["State"] == "running");
  WARN("counter lines: " << frozen_at << " at pause, " << later << " 0.6 s later");

  // A paused stack still goes down promptly: its containers are thawed first.
  REQUIRE(run(fx.cmd("pause")).status == 0);
  CHECK(fx.container("counter")["State"] == "paused");
  auto t0 = std::chrono::steady_clock::now();
  fx.down_clean();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(took < 5.0);
}

TEST_CASE("wait returns the first exit code; events --json streams die and start", "[commands]") {
  StackFixture fx(kServices);
  std::string events_out = fx.tmp.path() + "/events.json";
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  auto ev = run(fx.cmd("events --json") + " > " + events_out + " 2>&1 & echo $!", false);
  int events_pid = std::stoi(ev.out);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // subscribed

  auto wait = run(fx.cmd("wait three"), false);
  CHECK(wait.status == 3);
  CHECK(wait.out == "container \"" + fx.project + "-three-1\" exited with status code 3\n");
  // Already exited: at once, same code.
  CHECK(run(fx.cmd("wait three"), false).status == 3);
  CHECK(run(fx.cmd("wait")).status != 0);  // SERVICE is required

  REQUIRE(run(fx.cmd("restart -t 5 counter")).status == 0);
  REQUIRE(run(fx.cmd("pause counter")).status == 0);
  REQUIRE(run(fx.cmd("unpause counter")).status == 0);
  fx.down_clean();
  // The stream ends with the stack.
  for (int i = 0; i < 50 && cmdtest::alive(events_pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(!cmdtest::alive(events_pid));

  std::ifstream in(events_out);
  std::vector<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    INFO(line);
    auto e = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(!e.is_discarded());
    CHECK(e["type"] == "container");
    CHECK(e["attributes"]["name"] == e["id"]);
    CHECK(e["time"].get<std::string>().size() > 20);
    seen.push_back(e["service"].get<std::string>() + ":" + e["action"].get<std::string>());
  }
  auto has = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) != seen.end(); };
  std::string all;
  for (const auto& s : seen) all += s + " ";
  INFO(all);
  CHECK(has("three:die"));
  CHECK(has("counter:kill"));
  CHECK(has("counter:die"));
  CHECK(has("counter:stop"));
  CHECK(has("counter:start"));
  CHECK(has("counter:restart"));
  CHECK(has("counter:pause"));
  CHECK(has("counter:unpause"));
  // Order within the restart: kill, die, stop, start, restart.
  auto at = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) - seen.begin(); };
  CHECK(at("counter:kill") < at("counter:die"));
  CHECK(at("counter:die") < at("counter:stop"));
  CHECK(at("counter:stop") < at("counter:restart"));
}
