#pragma once
// `stack run` through the built binary: the busybox layer imported as busybox:rt into the
// fixture's --root and a stack file with an `app` service (a named volume at /data) and
// a `limited` one; `extra` adds services of the test's own. A run of a service on the
// default network starts the stack's supervisor (its networks): the fixture takes it
// down at the end, as a user would.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/runtime/fixture.hpp"

namespace stack::testing {

struct CliFixture : RuntimeFixture {
  std::string project = tmp.path() + "/proj";
  std::string name = "rtcli" + std::to_string(::getpid());
  std::string stack_cmd;

  explicit CliFixture(const std::string& extra = "") {
    REQUIRE(run("mkdir -p " + project).status == 0);
    stack_cmd = stack_binary() + " --root " + root + " --run-root " + tmp.path() + "/run -f " + project + "/stack.yaml";
    auto imp = run(stack_binary() + " --root " + root + " image import busybox:rt " + layer);
    INFO(imp.out);
    REQUIRE(imp.status == 0);
    std::ofstream(project + "/stack.yaml") << "name: " << name << "\n"
                                              "services:\n"
                                              "  app:\n"
                                              "    image: busybox:rt\n"
                                              "    command: [\"sh\", \"-c\", \"echo from-service\"]\n"
                                              "    environment:\n"
                                              "      GREETING: hello\n"
                                              "    volumes:\n"
                                              "      - data:/data\n"
                                              "  limited:\n"
                                              "    image: busybox:rt\n"
                                              "    mem_limit: 32m\n"
                                              "    pids_limit: 8\n"
                                           << extra
                                           << "volumes:\n"
                                              "  data: {}\n";
  }

  // stack run leaves the project's parent groups (stack/<project>) for later runs;
  // the test removes its own (rmdir: only if empty).
  ~CliFixture() {
    run(stack_cmd + " down -t 0 >/dev/null 2>&1");
    run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + name + "' -exec rmdir {} \\;");
  }
};

}  // namespace stack::testing
