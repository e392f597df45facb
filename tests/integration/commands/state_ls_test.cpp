// state.json (ps after kill -9 of the supervisor, a corrupt file), ls, and the `none`
// logging driver, through the built binary; nothing left behind.
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <future>

#include "engine/base/unique_fd.hpp"
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {

const char* const kServices = R"(  web:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-run; while :; do sleep 0.1; done"]
  once:
    image: busybox:cm
    command: ["sh", "-c", "echo once-ran; exit 0"]
  quiet:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; echo not-kept; while :; do sleep 0.1; done"]
    logging:
      driver: none
)";

int supervisor_pid(const StackFixture& fx) {
  std::ifstream pidf(fx.run_root + "/stacks/" + fx.project + "/supervisor.pid");
  int pid = 0;
  pidf >> pid;
  return pid;
}

}  // namespace

TEST_CASE("state.json follows the containers; ps reads it after kill -9 of the supervisor", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  fx.wait_state("once", "exited");
  auto doc = nlohmann::json::parse(run("cat " + fx.state_file()).out, nullptr, false);
  REQUIRE(!doc.is_discarded());
  CHECK(doc["version"] == 1);
  CHECK(doc["project"] == fx.project);
  CHECK(doc["config_files"][0] == fx.file);
  REQUIRE(doc["containers"].size() == 3);
  for (const auto& c : doc["containers"])
    for (const char* key : {"Name", "Service", "State", "Pid", "ExitCode", "RestartCount", "OOMKilled", "StartedAt",
                            "FinishedAt", "Health"})
      CHECK(c.contains(key));
  CHECK(run("ls -A " + fx.run_root + "/stacks/" + fx.project + " | grep -c tmp").out == "0\n");

  // A stop reaches state.json within moments (written off the loop after the reply).
  REQUIRE(run(fx.cmd("stop -t 5 quiet")).status == 0);
  std::string quiet_state;
  for (int i = 0; i < 50 && quiet_state != "exited"; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    doc = nlohmann::json::parse(run("cat " + fx.state_file()).out);
    for (const auto& c : doc["containers"])
      if (c["Service"] == "quiet") quiet_state = c["State"];
  }
  CHECK(quiet_state == "exited");
  REQUIRE(run(fx.cmd("start quiet")).status == 0);

  int sup = supervisor_pid(fx);
  int web = fx.container("web")["Pid"].get<int>();
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && cmdtest::alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(cmdtest::alive(web));

  auto ps = run(fx.cmd("ps -a --format json"), false);
  auto err = run(fx.cmd("ps") + " 2>&1 >/dev/null", false);
  CHECK(ps.status == 0);
  {
    // A supervisor that dies while ps waits for its answer: its socket, still listening
    // until its last thread is gone, took the connection and then resets it. ps shows
    // state.json then, as when nothing listens (a stand-in listener that never accepts).
    std::string sock = fx.run_root + "/stacks/" + fx.project + "/control.sock";
    stack::UniqueFd l(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(l);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    REQUIRE(sock.size() < sizeof a.sun_path);
    std::memcpy(a.sun_path, sock.c_str(), sock.size() + 1);
    ::unlink(sock.c_str());
    REQUIRE(::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(l.get(), 4) == 0);
    auto late = std::async(std::launch::async, [&] { return run(fx.cmd("ps -a --format json") + " 2>&1", false); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // ps has connected and waits
    l.reset();
    auto r = late.get();
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out.find("supervisor of " + fx.project + " is not running") != std::string::npos);
    ::unlink(sock.c_str());
  }
  CHECK(err.out.find("supervisor of " + fx.project + " is not running") != std::string::npos);
  CHECK(err.out.find(fx.state_file()) != std::string::npos);
  auto list = fx.ps();
  REQUIRE(list.size() == 3);
  for (const auto& c : list) {
    INFO(c.dump());
    if (c["Service"] == "web") CHECK((c["State"] == "running" && c["Pid"] == web));
    if (c["Service"] == "once") CHECK((c["State"] == "exited" && c["ExitCode"] == 0));
  }
  // A container that died meanwhile: exited (255), as Docker shows a lost exit.
  REQUIRE(::kill(web, SIGKILL) == 0);
  for (int i = 0; i < 100 && cmdtest::alive(web); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto gone = fx.container("web");
  CHECK(gone["State"] == "exited");
  CHECK(gone["ExitCode"] == 255);
  auto stop = run(fx.cmd("stop"));
  CHECK(stop.status == 1);
  CHECK(stop.out.find("supervisor is not running") != std::string::npos);
  fx.down_clean();
}

TEST_CASE("a corrupt state.json is reported with its path; down still cleans, also a paused container", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  // A paused container too: down must thaw it before its SIGKILL can work (cgroup v1).
  REQUIRE(run(fx.cmd("pause web")).status == 0);
  int sup = supervisor_pid(fx);
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && cmdtest::alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Half a document, as a torn write would leave it.
  std::string text = run("cat " + fx.state_file()).out;
  REQUIRE(text.size() > 20);
  std::ofstream(fx.state_file(), std::ios::trunc) << text.substr(0, text.size() / 2);
  auto ps = run(fx.cmd("ps"));
  INFO(ps.out);
  CHECK(ps.status == 1);
  CHECK(ps.out.find("state file '" + fx.state_file() + "' is corrupt") != std::string::npos);
  auto ls = run(fx.cmd("ls -a"));
  INFO(ls.out);
  CHECK(ls.status == 0);
  CHECK(ls.out.find("is corrupt") != std::string::npos);
  fx.down_clean();
}

TEST_CASE("ls lists the stacks of the run root", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  fx.wait_state("once", "exited");
  auto table = run(fx.cmd("ls"), false);
  INFO(table.out);
  CHECK(table.status == 0);
  CHECK(table.out.rfind("NAME", 0) == 0);
  CHECK(table.out.find(fx.project) != std::string::npos);
  CHECK(table.out.find("running(2)") != std::string::npos);
  CHECK(table.out.find(fx.file) != std::string::npos);
  auto json = nlohmann::json::parse(run(fx.cmd("ls -a --format json"), false).out);
  REQUIRE(json.size() == 1);
  CHECK(json[0]["Name"] == fx.project);
  CHECK(json[0]["Status"] == "exited(1), running(2)");
  CHECK(json[0]["ConfigFiles"] == fx.file);
  CHECK(run(fx.cmd("ls -q"), false).out == fx.project + "\n");
  REQUIRE(run(fx.cmd("stop")).status == 0);
  CHECK(run(fx.cmd("ls -q"), false).out == "");  // nothing running
  CHECK(run(fx.cmd("ls -a -q"), false).out == fx.project + "\n");
  fx.down_clean();
  CHECK(run(fx.cmd("ls -a -q"), false).out == "");
}

TEST_CASE("logging driver none keeps no log; logs says it cannot read it", "[commands]") {
  StackFixture fx(kServices);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  REQUIRE(fx.wait_state("quiet", "running")["State"] == "running");
  CHECK(run("ls " + fx.root + "/stacks/" + fx.project + "/logs").out.find("quiet") == std::string::npos);
  auto logs = run(fx.cmd("logs quiet"));
  CHECK(logs.status == 1);
  CHECK(logs.out.find("configured logging driver does not support reading") != std::string::npos);
  auto all = run(fx.cmd("logs --no-log-prefix"));
  CHECK(all.status == 0);
  CHECK(all.out.find("web-run") != std::string::npos);
  CHECK(all.out.find("not-kept") == std::string::npos);
  fx.down_clean();
}

