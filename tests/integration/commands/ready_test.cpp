// How up learns that a supervisor it started listens: not by polling for the control
// socket, but from one byte the supervisor writes to the pipe up gives it as fd 3
// (--ready-fd) once the socket listens; a supervisor that fails closes it without one.
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {
const char* const kServices = R"(  web:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)";

// The supervisor started as up starts it, its fd 3 a pipe to a reader that takes one
// byte and says whether the control socket was there when the byte came.
std::string start_supervisor(const StackFixture& fx, const std::string& file) {
  std::string dir = stack::testing::stack_binary();
  dir = dir.substr(0, dir.rfind('/'));
  std::string sock = fx.run_root + "/stacks/" + fx.project + "/control.sock";
  return run("( " + dir + "/stack-supervisor --root " + fx.root + " --run-root " + fx.run_root + " -p " + fx.project +
                 " -f " + file + " __supervisor --ready-fd 3 3>&1 >/dev/null 2>&1 & ) | " +
                 "{ b=$(timeout 20 head -c1); if [ -n \"$b\" ]; then echo \"byte $b\"; else echo eof; fi; " +
                 "[ -S " + sock + " ] && echo listening; }",
             false)
      .out;
}
}  // namespace

TEST_CASE("a supervisor tells up through its ready pipe once its control socket listens", "[commands]") {
  StackFixture fx(kServices);
  auto out = start_supervisor(fx, fx.file);
  CHECK(out == "byte 1\nlistening\n");
  // It is the stack's supervisor: up talks to it, and down ends it.
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  fx.wait_state("web", "running");
  fx.down_clean();
  CHECK(fx.leftovers() == "");
}

TEST_CASE("up's first apply takes the project its supervisor loaded at start; a later up loads the file", "[commands]") {
  StackFixture fx(kServices);
  std::string log = fx.run_root + "/stacks/" + fx.project + "/supervisor.log";
  const std::string reused = "apply: the project as loaded at start";
  REQUIRE(run(fx.cmd("--debug up -d")).status == 0);
  int first = fx.wait_state("web", "running")["Pid"].get<int>();
  CHECK(run("grep -c '" + reused + "' " + log, false).out == "1\n");
  // The file changes; the next up finds the supervisor running (no token): it loads the
  // file and recreates web with the new command.
  fx.write(std::string(kServices) + "    environment: {CHANGED: \"1\"}\n");
  REQUIRE(run(fx.cmd("--debug up -d")).status == 0);
  auto web = fx.wait_state("web", "running");
  CHECK(web["Pid"].get<int>() != first);
  CHECK(run(fx.cmd("exec -T web sh -c 'echo $CHANGED'") + " </dev/null").out == "1\n");
  CHECK(run("grep -c '" + reused + "' " + log, false).out == "1\n");
  // A supervisor started by hand with a word (no up sent it) loads for an apply without it.
  fx.down_clean();
  std::string dir = stack::testing::stack_binary();
  dir = dir.substr(0, dir.rfind('/'));
  std::string by_hand = "mkdir -p " + fx.run_root + "/stacks/" + fx.project + " && ( " + dir +
                        "/stack-supervisor --debug --root " + fx.root + " --run-root " + fx.run_root + " -p " +
                        fx.project + " -f " + fx.file + " __supervisor --load-token 0123456789abcdef --ready-fd 3 " +
                        "3>&1 >>" + log + " 2>&1 & ) | timeout 20 head -c1";
  REQUIRE(run(by_hand).status == 0);
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  fx.wait_state("web", "running");
  CHECK(run("grep -c '" + reused + "' " + log, false).out == "0\n");
  fx.down_clean();
  CHECK(fx.leftovers() == "");
}

TEST_CASE("a supervisor that fails closes its ready pipe without a byte", "[commands]") {
  StackFixture fx(kServices);
  std::string bad = fx.tmp.path() + "/bad.yaml";
  REQUIRE(run("printf 'services:\\n  web:\\n    image: [\\n' > " + bad).status == 0);
  CHECK(start_supervisor(fx, bad) == "eof\n");
  CHECK(fx.leftovers() == "");
}
