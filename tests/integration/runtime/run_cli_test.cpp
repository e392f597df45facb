// `stack run --rm SERVICE [CMD...]` through the built binary: an imported busybox image,
// a stack file, exit codes, overrides, volumes, and nothing left behind.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/runtime/cli_fixture.hpp"

using stack::testing::CliFixture;
using stack::testing::run;

TEST_CASE("stack run: the command's exit code, overrides, clear errors", "[runtime][cli]") {
  CliFixture fx;
  auto r = run(fx.stack_cmd + " run --rm app");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out == "from-service\n");

  auto code = run(fx.stack_cmd + " run --rm app sh -c 'exit 7'");
  CHECK(code.status == 7);

  auto ov = run(fx.stack_cmd + " run --rm -e EXTRA=1 -u app -w /tmp app sh -c 'echo $GREETING $EXTRA $(id -u) $(pwd)'");
  INFO(ov.out);
  CHECK(ov.out == "hello 1 1000 /tmp\n");

  // Each -e takes one value: the service right after it is not swallowed.
  auto env = run(fx.stack_cmd + " run --rm -e A=1 -e B=2 app sh -c 'echo $A$B'");
  INFO(env.out);
  CHECK(env.out == "12\n");
  auto dashes = run(fx.stack_cmd + " run --rm -e A=3 -- app sh -c 'echo $A'");
  INFO(dashes.out);
  CHECK(dashes.out == "3\n");

  // --entrypoint replaces the entrypoint; the command (here given) follows it.
  auto ep = run(fx.stack_cmd + " run --rm --entrypoint 'echo via' app entrypoint");
  INFO(ep.out);
  CHECK(ep.out == "via entrypoint\n");

  auto missing = run(fx.stack_cmd + " run --rm app /usr/bin/nginx");
  CHECK(missing.status == 127);
  CHECK(missing.out == "stack: exec: no such file: /usr/bin/nginx in image busybox:rt\n");

  auto nosvc = run(fx.stack_cmd + " run --rm nope");
  CHECK(nosvc.status == 1);
  CHECK(nosvc.out.find("no such service: nope") != std::string::npos);
  CHECK(fx.leftover_mounts().empty());
  CHECK(run("ls -A " + fx.root + "/containers | wc -l").out == "0\n");
  // The project's own cgroup went with its last container, in every hierarchy.
  CHECK(run("find /sys/fs/cgroup -type d -path '*/stack/" + fx.name + "'").out == "");
}

TEST_CASE("stack run: a named volume keeps data across container removal", "[runtime][cli]") {
  CliFixture fx;
  REQUIRE(run(fx.stack_cmd + " run --rm app sh -c 'echo kept > /data/f'").status == 0);
  auto again = run(fx.stack_cmd + " run --rm app cat /data/f");
  INFO(again.out);
  CHECK(again.out == "kept\n");
  CHECK(run("cat " + fx.root + "/volumes/" + fx.name + "_data/f").out == "kept\n");
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("stack run: limits are enforced (pids_limit, mem_limit with OOM reported)", "[runtime][cli]") {
  CliFixture fx;
  auto forks = run(fx.stack_cmd + " run --rm limited sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait'");
  INFO(forks.out);
  CHECK(forks.out.find("can't fork") != std::string::npos);
  auto oom = run(fx.stack_cmd + " run --rm limited sh -c 'x=$(head -c 100000000 /dev/zero | tr \"\\0\" a); echo survived'");
  INFO(oom.out);
  CHECK(oom.status == 137);
  CHECK(oom.out.find("stack: limited: killed by signal 9 (out of memory)") != std::string::npos);
  CHECK(oom.out.find("survived") == std::string::npos);
  // No container group is left, only the project's (removed by the fixture).
  CHECK(run("find /sys/fs/cgroup -mindepth 1 -type d -path '*/stack/" + fx.name + "/*' | wc -l").out == "0\n");
  CHECK(fx.leftover_mounts().empty());
}

namespace {

// The container's memory limit file as seen from inside: v1/hybrid hosts mount the memory
// hierarchy at /sys/fs/cgroup/memory (as Docker does), v2 hosts the group itself.
std::string limit_file() {
  return stack::engine::runtime::host_cgroup_is_unified() ? "/sys/fs/cgroup/memory.max"
                                                          : "/sys/fs/cgroup/memory/memory.limit_in_bytes";
}

}  // namespace

TEST_CASE("stack run: /sys/fs/cgroup shows the container's own group, read-only", "[runtime][cli][cgroup]") {
  CliFixture fx;
  std::string pids = stack::engine::runtime::host_cgroup_is_unified() ? "/sys/fs/cgroup/pids.max"
                                                                     : "/sys/fs/cgroup/pids/pids.max";
  auto r = run(fx.stack_cmd + " run --rm limited sh -c 'cat " + limit_file() + " " + pids +
               "; mkdir /sys/fs/cgroup/x 2>/dev/null && echo MKDIR; touch /sys/fs/cgroup/y 2>/dev/null && echo TOUCH;"
               " grep -c . /sys/fs/cgroup/memory/cgroup.procs 2>/dev/null || grep -c . /sys/fs/cgroup/cgroup.procs'");
  INFO(r.out);
  CHECK(r.status == 0);
  // The limits, and only the container's own processes (sh and grep).
  CHECK(r.out == "33554432\n8\n2\n");
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("stack run: the compiled seccomp program is kept under --root and read by the next run",
          "[runtime][cli][seccomp]") {
  CliFixture fx;
  std::string dir = fx.root + "/cache/seccomp";
  auto first = run(fx.stack_cmd + " --debug run --rm app sh -c 'grep ^Seccomp: /proc/self/status'");
  INFO(first.out);
  REQUIRE(first.status == 0);
  CHECK(first.out.find("seccomp: program compiled and written to " + dir) != std::string::npos);
  CHECK(first.out.find("Seccomp:\t2") != std::string::npos);
  CHECK(run("stat -c %a " + dir).out == "700\n");
  CHECK(run("stat -c %a " + dir + "/*.bpf | sort -u").out == "600\n");

  auto second = run(fx.stack_cmd + " --debug run --rm app sh -c 'grep ^Seccomp: /proc/self/status'");
  INFO(second.out);
  REQUIRE(second.status == 0);
  CHECK(second.out.find("seccomp: program read from " + dir) != std::string::npos);
  CHECK(second.out.find("compiled and written") == std::string::npos);
  CHECK(second.out.find("Seccomp:\t2") != std::string::npos);

  // A damaged file is not used: the program is compiled again and the file replaced.
  REQUIRE(run("for f in " + dir + "/*.bpf; do printf 'XXXX' | dd of=$f bs=1 seek=40 conv=notrunc 2>/dev/null; done")
              .status == 0);
  auto third = run(fx.stack_cmd + " --debug run --rm app sh -c 'grep ^Seccomp: /proc/self/status'");
  INFO(third.out);
  REQUIRE(third.status == 0);
  CHECK(third.out.find("seccomp: program compiled and written to " + dir) != std::string::npos);
  auto fourth = run(fx.stack_cmd + " --debug run --rm app true");
  CHECK(fourth.out.find("seccomp: program read from " + dir) != std::string::npos);
  CHECK(fx.leftover_mounts().empty());
}
