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

TEST_CASE("a supervisor that fails closes its ready pipe without a byte", "[commands]") {
  StackFixture fx(kServices);
  std::string bad = fx.tmp.path() + "/bad.yaml";
  REQUIRE(run("printf 'services:\\n  web:\\n    image: [\\n' > " + bad).status == 0);
  CHECK(start_supervisor(fx, bad) == "eof\n");
  CHECK(fx.leftovers() == "");
}
