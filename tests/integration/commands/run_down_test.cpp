// `down` and the one-off containers of `stack run` (compose's down removes them too): a
// run whose `stack run` was killed with SIGKILL leaves its container running with its
// mounts and cgroup; down removes all of it. A run still attached is stopped by down, and
// the run then removes its container itself and returns the container's exit code.
#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/commands/fixture.hpp"

using namespace cmdtest;
using stack::testing::has;

namespace {

// `stack run` in the background: its pid, or -1.
pid_t start_run(const std::string& cmd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

// The container of the run, once its process is up: the host pid of `sleep`, or 0.
int container_pid(const std::string& root) {
  for (int i = 0; i < 100; ++i) {
    auto r = run("ls " + root + "/one-off 2>/dev/null", false);
    if (!r.out.empty()) {
      auto p = run("pgrep -f '^sleep 3141'", false);
      if (!p.out.empty()) return std::stoi(p.out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

}  // namespace

TEST_CASE("down removes a stack run's container after the run was killed, and stops an attached one",
          "[commands]") {
  StackFixture fx(R"(  job:
    image: busybox:cm
    network_mode: none
    command: ["sleep", "3141"]
)");
  // Killed run: its container outlives it.
  pid_t cli = start_run(fx.cmd("run --rm job"));
  REQUIRE(cli > 0);
  int sleeper = container_pid(fx.root);
  REQUIRE(sleeper > 0);
  ::kill(cli, SIGKILL);
  ::waitpid(cli, nullptr, 0);
  CHECK(alive(sleeper));
  CHECK(has(run("findmnt -rn -o TARGET", false).out, fx.root + "/containers/"));

  auto down = run(fx.cmd("down"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(has(down.out, "Container " + fx.project + "-job-run-"));
  CHECK(!alive(sleeper));
  CHECK(!has(run("findmnt -rn -o TARGET", false).out, fx.root + "/containers/"));
  CHECK(run("ls -A " + fx.root + "/containers " + fx.root + "/one-off", false).out.find("-run-") == std::string::npos);
  CHECK(fx.leftovers() == "");

  // Attached run: down stops the container; the run removes it and exits 137.
  cli = start_run(fx.cmd("run --rm job"));
  REQUIRE(cli > 0);
  sleeper = container_pid(fx.root);
  REQUIRE(sleeper > 0);
  down = run(fx.cmd("down"));
  INFO(down.out);
  CHECK(down.status == 0);
  int status = 0;
  ::waitpid(cli, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 137);
  CHECK(!alive(sleeper));
  CHECK(fx.leftovers() == "");
  // Nothing left to do: the project is unknown again.
  CHECK(run(fx.cmd("down"), false).status == 1);
}
