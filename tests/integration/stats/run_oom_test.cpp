// `stack run` reports an OOM kill of a child while PID 1 runs on as it happens (the
// group's OOM watch in its poll; cmd/run_oom.hpp), as `up` does in the service's log;
// before, a run said nothing when its command exited 0.
#include "tests/integration/stats/fixture.hpp"

using stack::stats_test::StackFixture;
using stack::testing::has;
using stack::testing::run;

TEST_CASE("stack run: an OOM kill of a child is reported while the shell runs on", "[cgroup]") {
  StackFixture fx("ro");
  fx.write("  hog:\n    image: busybox:st\n    mem_limit: 32m\n    network_mode: none\n    command: [\"true\"]\n");
  auto r = run(fx.cmd("run -T hog sh -c 'tail /dev/zero; sleep 1; echo survived'"));
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(has(r.out, "stack: hog: container OOMKilled: a process was killed (out of memory)"));
  CHECK(has(r.out, "survived"));
  // The line came before the shell's next output (it was seen live, not at the exit).
  CHECK(r.out.find("OOMKilled") < r.out.find("survived"));
  CHECK(fx.leftovers() == "");
}
