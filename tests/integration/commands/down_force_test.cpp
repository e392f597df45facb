// `down --force` with a corrupt state.json: a supervisor that was killed with SIGKILL,
// or one that hangs (SIGSTOP: it keeps its socket and never answers), and a torn
// state.json; down --force cleans from the teardown journal alone, and the host's
// mounts, links, net namespaces and cgroups of the stack are back to what they were
// before up.
#include <set>

#include "engine/base/file.hpp"
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::run;

namespace {

const char* const kServices = R"(  web:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
  db:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
)";

// The objects in `now` and not in `before` (stack::testing::host_objects()'s "kind name"
// lines) of this kind that `ours` claims.
std::string added(const std::set<std::string>& before, const std::set<std::string>& now, const std::string& kind,
                  const std::function<bool(const std::string&)>& ours) {
  std::string out;
  for (const auto& o : now)
    if (!before.count(o) && o.rfind(kind + " ", 0) == 0 && ours(o.substr(kind.size() + 1))) out += o + "\n";
  return out;
}

}  // namespace

TEST_CASE("down --force cleans from the journal with a corrupt state.json, the supervisor dead or hung", "[commands]") {
  bool hung = GENERATE(false, true);
  INFO((hung ? "hung (SIGSTOP)" : "killed (SIGKILL)"));
  StackFixture fx(kServices);
  auto before = stack::testing::host_objects();
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  int web = fx.wait_state("web", "running")["Pid"].get<int>();
  int db = fx.wait_state("db", "running")["Pid"].get<int>();
  REQUIRE(cmdtest::alive(web));
  auto during = stack::testing::host_objects();
  // What this stack made, told apart from what other tests on the host make meanwhile:
  // links its journal names, the containers' net namespaces, mounts under our temp dir,
  // cgroups of the project.
  std::string journal = run("cat " + fx.run_root + "/stacks/" + fx.project + "/journal", false).out;
  auto named = [&](const std::string& link) { return journal.find("\"" + link + "\"") != std::string::npos; };
  std::set<std::string> container_ns{run("readlink /proc/" + std::to_string(web) + "/ns/net", false).out,
                                     run("readlink /proc/" + std::to_string(db) + "/ns/net", false).out};
  auto ns_ours = [&](const std::string& ns) { return container_ns.count(ns + "\n") > 0; };  // readlink's line
  auto mount_ours = [&](const std::string& m) { return m.find(fx.tmp.path()) != std::string::npos; };
  auto cg_ours = [&](const std::string& c) { return c.find("/stack/" + fx.project) != std::string::npos; };
  // The stack made each kind (else the check below could not fail).
  CHECK(added(before, during, "link", named) != "");
  CHECK(added(before, during, "netns", ns_ours) != "");
  CHECK(added(before, during, "mount", mount_ours) != "");
  CHECK(added(before, during, "cgroup", cg_ours) != "");

  int sup = fx.supervisor_pid();
  REQUIRE(cmdtest::alive(sup));
  if (hung) {
    REQUIRE(::kill(sup, SIGSTOP) == 0);
  } else {
    REQUIRE(::kill(sup, SIGKILL) == 0);
    for (int i = 0; i < 100 && cmdtest::alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A torn state.json, as a write cut short would leave it.
  std::string text = run("cat " + fx.state_file()).out;
  REQUIRE(text.size() > 20);
  std::ofstream(fx.state_file(), std::ios::trunc) << text.substr(0, text.size() / 2);
  // ps tells either apart: a hung supervisor after its 5 s, then the corrupt file.
  auto ps = run(fx.cmd("ps"));
  INFO(ps.out);
  CHECK(ps.status == 1);
  CHECK(ps.out.find("state file '" + fx.state_file() + "' is corrupt") != std::string::npos);
  if (hung) CHECK(ps.out.find("(pid " + std::to_string(sup) + ") does not answer") != std::string::npos);

  auto down = run(fx.cmd("down --force"));
  INFO(down.out);
  CHECK(down.status == 0);
  if (hung) CHECK(down.out.find("killed supervisor pid " + std::to_string(sup)) != std::string::npos);
  CHECK(!cmdtest::alive(sup));
  CHECK(!cmdtest::alive(web));
  CHECK(!cmdtest::alive(db));
  auto after = stack::testing::host_objects();
  CHECK(added(before, after, "link", named) == "");
  CHECK(added(before, after, "netns", ns_ours) == "");
  CHECK(added(before, after, "mount", mount_ours) == "");
  CHECK(added(before, after, "cgroup", cg_ours) == "");
  CHECK(fx.leftovers() == "");
  CHECK(run(fx.cmd("ps")).status == 1);  // no such stack
}

TEST_CASE("a container dir an earlier boot left is cleared by the next up; one from this boot is refused", "[commands]") {
  StackFixture fx(kServices);
  std::string dir = fx.root + "/containers/" + fx.name("web");
  // What a reboot leaves of a stack that was up: the container's dir with its own journal
  // (no mount any more, no stack journal: that was on the run root's tmpfs).
  auto leave_remnant = [&](const std::string& when) {
    REQUIRE(run("mkdir -p " + dir + "/upper/etc " + dir + "/work && echo old > " + dir + "/upper/marker").status == 0);
    REQUIRE(stack::write_file_atomic(dir + "/journal",
                                     "{\"data\":{\"path\":\"" + dir + "/upper\"},\"id\":1,\"kind\":\"dir\",\"op\":\"add\"}\n"
                                     "{\"data\":{\"path\":\"" + dir + "/work\"},\"id\":2,\"kind\":\"dir\",\"op\":\"add\"}\n",
                                     0600));
    REQUIRE(run("touch -h -d '" + when + "' " + dir + "/journal " + dir).status == 0);
  };
  leave_remnant("2001-02-03 04:05:06");
  auto up = run(fx.cmd("up -d"), false);
  INFO(up.out);
  REQUIRE(up.status == 0);
  fx.wait_state("web", "running");
  // A new container: not the remnant's upper layer.
  CHECK(run(fx.cmd("exec -T web sh -c 'cat /marker 2>&1 || echo none'") + " </dev/null").out.find("none") !=
        std::string::npos);
  fx.down_clean();
  // Left in this boot (a run root lost without a reboot, or another stack's container of
  // that name): not removed, and up says whose it may be.
  leave_remnant("now");
  auto refused = run(fx.cmd("up -d") + " 2>&1", false);
  CHECK(refused.status != 0);
  CHECK(refused.out.find(fx.name("web") + " already exists in") != std::string::npos);
  CHECK(refused.out.find("`down` of its stack removes it") != std::string::npos);
  CHECK(run("cat " + dir + "/upper/marker", false).out == "old\n");
  fx.down_clean();
  CHECK(::access(dir.c_str(), F_OK) != 0);
}
