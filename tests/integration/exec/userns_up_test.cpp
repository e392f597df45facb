// userns_mode: auto through `up -d`: each container's root is its own leased host range
// (disjoint between replicas and between stacks), a volume it makes is that range's,
// `exec` joins the container's user namespace (its writes land as the mapped id, never
// as host root, and its pty is the container root's), and `down` gives the ranges back,
// also after kill -9 of the supervisor (the leases are journaled).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "tests/support/stack_fixture.hpp"

using stack::testing::run;

namespace {

constexpr const char* kServices = R"(  ns:
    image: busybox:ns
    command: ["sh", "-c", "trap 'exit 0' TERM; echo hi > /data/pid1; while :; do sleep 0.1; done"]
    userns_mode: auto
    volumes: ["data:/data"]
    healthcheck: {test: ["CMD-SHELL", "touch /data/health"], interval: 1s}
  other:
    image: busybox:ns
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    userns_mode: "auto:size=1024"
    scale: 2
volumes:
  data: {}
)";

struct Range {
  uint64_t inside = 0, host = 0, size = 0;
};

Range map_of(int pid) {
  Range r;
  std::istringstream in(run("cat /proc/" + std::to_string(pid) + "/uid_map").out);
  in >> r.inside >> r.host >> r.size;
  return r;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

}  // namespace

TEST_CASE("up: userns_mode auto gives each container its own range; exec joins it; down frees it", "[exec][userns]") {
  stack::testing::StackFixture fx("ns");
  fx.write(kServices);
  std::string second = fx.add_project("b");
  fx.write_file_in(second, "services:\n  solo:\n    image: busybox:ns\n    command: [sleep, '300']\n"
                           "    userns_mode: auto\n");
  auto up = run(fx.cmd("up -d --wait"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  auto up2 = run(fx.cmd_in(second, "up -d"));
  INFO(up2.out);
  REQUIRE(up2.status == 0);
  int ns = fx.pid("ns"), o1 = fx.pid("other", 1), o2 = fx.pid("other", 2);
  int solo = stack::testing::find(fx.ps_in(second), "Service", "solo").value("Pid", 0);
  REQUIRE(ns > 0);
  REQUIRE(o1 > 0);
  REQUIRE(o2 > 0);
  REQUIRE(solo > 0);
  std::vector<Range> r;
  for (int pid : {ns, o1, o2, solo}) r.push_back(map_of(pid));
  CHECK(r[0].size == 65536);
  CHECK(r[1].size == 1024);
  CHECK(r[2].size == 1024);
  CHECK(r[3].size == 65536);
  for (size_t i = 0; i < r.size(); ++i) {
    CHECK(r[i].inside == 0);
    CHECK(r[i].host >= 524288);
    for (size_t j = 0; j < i; ++j) CHECK((r[i].host + r[i].size <= r[j].host || r[j].host + r[j].size <= r[i].host));
  }
  auto ledger = run("cat " + fx.root + "/userns/ranges").out;
  INFO(ledger);
  CHECK(stack::testing::has(ledger, "lease " + fx.name("ns") + " " + std::to_string(r[0].host) + " "));
  CHECK(stack::testing::has(ledger, "lease " + fx.name("other", 2) + " " + std::to_string(r[2].host) + " "));

  // The volume ns made, and what its root wrote, are the mapped id's on the host.
  std::string volume = fx.root + "/volumes/" + fx.project + "_data";
  for (int i = 0; i < 50 && ::access((volume + "/pid1").c_str(), F_OK) != 0; ++i) ::usleep(100'000);
  CHECK(owner_of(volume) == r[0].host);
  CHECK(owner_of(volume + "/pid1") == r[0].host);
  CHECK(owner_of(volume + "/health") == r[0].host);  // the healthcheck probe is an exec too

  // exec is in the container's user namespace: root there, the mapped id on the host.
  auto exec = [&](const std::string& args) { return run(fx.cmd("exec -T ns " + args) + " </dev/null", false); };
  auto nsid = exec("readlink /proc/self/ns/user");
  CHECK(nsid.out == run("readlink /proc/" + std::to_string(ns) + "/ns/user").out);
  auto wrote = exec("sh -c 'id -u; echo x > /data/from-exec'");
  INFO(wrote.out);
  CHECK(wrote.status == 0);
  CHECK(wrote.out == "0\n");
  CHECK(owner_of(volume + "/from-exec") == r[0].host);
  // A pty from the container's devpts, owned by its root.
  auto tty = run("sleep 1 | script -qec '" + fx.cmd("exec ns sh -c \"tty; stat -c %u \\$(tty)\"") + "' /dev/null", false);
  INFO(tty.out);
  CHECK(stack::testing::has(tty.out, "/dev/pts/"));
  CHECK(stack::testing::has(tty.out, "\n0\r"));

  CHECK(run(fx.cmd_in(second, "down -t 0")).status == 0);
  CHECK(!stack::testing::has(run("cat " + fx.root + "/userns/ranges").out, second));
  // The leases are in the stack's journal: down frees them also after kill -9 of the supervisor.
  int sup = fx.supervisor_pid();
  REQUIRE(stack::testing::alive(sup));
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && stack::testing::alive(sup); ++i) ::usleep(20'000);
  fx.down_clean("down -t 1");
  CHECK(run("cat " + fx.root + "/userns/ranges").out == "stack-userns 1\n");
}
