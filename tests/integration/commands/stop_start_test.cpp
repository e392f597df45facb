// stop / start / restart / kill through the built binary: ps states, exit codes and
// RestartCount as compose shows them, restart policies honoured or disabled as Docker
// does, and nothing left behind.
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {

const char* const kServices = R"(  web:
    image: busybox:cm
    # PID 1 of a pid namespace gets only the signals it handles (pid_namespaces(7)).
    command: ["sh", "-c", "trap 'exit 0' TERM; trap 'exit 129' HUP; echo web-run; while :; do sleep 0.1; done"]
    restart: always
  flaky:
    image: busybox:cm
    command: ["sh", "-c", "echo flaky-ran; exit 1"]
    restart: on-failure:2
)";

}  // namespace

TEST_CASE("stop keeps containers listed as exited and not restarted; start brings them back", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  auto web = fx.wait_state("web", "running");
  REQUIRE(web["State"] == "running");
  int pid = web["Pid"].get<int>();

  auto stop = run(fx.cmd("stop -t 5 web"));
  INFO(stop.out);
  CHECK(stop.status == 0);
  CHECK(stop.out.find("Container " + fx.project + "-web-1  Stopped") != std::string::npos);
  CHECK(!cmdtest::alive(pid));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // restart: always must not act
  web = fx.container("web");
  CHECK(web["State"] == "exited");
  CHECK(web["ExitCode"] == 0);  // its TERM trap
  CHECK(web["FinishedAt"].get<std::string>() != "");
  CHECK(run(fx.cmd("ps -q")).out.find(fx.project + "-web-1") == std::string::npos);  // not running

  auto start = run(fx.cmd("start web"));
  INFO(start.out);
  CHECK(start.status == 0);
  CHECK(start.out.find("Container " + fx.project + "-web-1  Started") != std::string::npos);
  web = fx.container("web");
  CHECK(web["State"] == "running");
  CHECK(web["RestartCount"] == 0);
  CHECK(web["Pid"].get<int>() != pid);
  CHECK(fx.logs("web") == "web-run\nweb-run\n");

  auto restart = run(fx.cmd("restart -t 5 web"));
  INFO(restart.out);
  CHECK(restart.status == 0);
  auto again = fx.container("web");
  CHECK(again["State"] == "running");
  CHECK(again["Pid"] != web["Pid"]);
  CHECK(again["RestartCount"] == 0);  // a user's restart is not the policy's
  CHECK(fx.logs("web") == "web-run\nweb-run\nweb-run\n");
  fx.down_clean();
}

TEST_CASE("start resets the restart policy: on-failure:2 runs its course again", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  auto flaky = fx.wait_state("flaky", "exited");
  REQUIRE(flaky["State"] == "exited");
  CHECK(flaky["RestartCount"] == 2);
  CHECK(flaky["ExitCode"] == 1);
  CHECK(fx.logs("flaky") == "flaky-ran\nflaky-ran\nflaky-ran\n");

  REQUIRE(run(fx.cmd("start flaky")).status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  flaky = fx.wait_state("flaky", "exited");
  for (int i = 0; i < 50 && fx.container("flaky")["RestartCount"] != 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  flaky = fx.wait_state("flaky", "exited");
  INFO(flaky.dump());
  CHECK(flaky["RestartCount"] == 2);
  CHECK(cmdtest::lines(fx.logs("flaky")) == 6);
  fx.down_clean();
}

TEST_CASE("kill: SIGKILL gives 137 and disables the policy, a non-fatal signal does not", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  REQUIRE(fx.wait_state("web", "running")["State"] == "running");

  // SIGHUP is not the stop signal: restart: always brings web back.
  int pid = fx.container("web")["Pid"].get<int>();
  auto hup = run(fx.cmd("kill -s SIGHUP web"));
  INFO(hup.out);
  CHECK(hup.status == 0);
  CHECK(hup.out.find("Container " + fx.project + "-web-1  Killed") != std::string::npos);
  nlohmann::json web;
  for (int i = 0; i < 100; ++i) {
    web = fx.container("web");
    if (web["State"] == "running" && web["Pid"] != pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(web.dump());
  CHECK(web["State"] == "running");
  CHECK(web["RestartCount"] == 1);
  CHECK(web["ExitCode"] == 128 + SIGHUP);

  auto kill = run(fx.cmd("kill -s SIGKILL web"));
  CHECK(kill.status == 0);
  web = fx.wait_state("web", "exited");
  CHECK(web["State"] == "exited");
  CHECK(web["ExitCode"] == 137);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(fx.container("web")["State"] == "exited");  // not restarted

  auto bad = run(fx.cmd("kill -s SIGNOPE web"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("invalid signal") != std::string::npos);
  auto nosvc = run(fx.cmd("stop nosuch"));
  CHECK(nosvc.status == 1);
  CHECK(nosvc.out.find("no such service: nosuch") != std::string::npos);
  fx.down_clean();
}

TEST_CASE("commands on an unknown stack fail with 'no such stack'", "[commands]") {
  StackFixture fx(kServices);
  for (const char* c : {"start", "stop", "restart", "kill", "pause", "unpause", "events", "wait web"}) {
    auto r = run(fx.cmd(c));
    INFO(c << ": " << r.out);
    CHECK(r.status == 1);
    CHECK(r.out.find("no such stack: " + fx.project) != std::string::npos);
  }
  CHECK(fx.leftovers() == "");
}
