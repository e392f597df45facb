// A configured cgroup parent through the built binary: `--cgroup-parent` (relative, as
// the only kind this host's tests may use: nothing is made outside the group the test
// starts in) and a service's `cgroup_parent` below a group that existed before. The
// container's /proc/<pid>/cgroup and its limit files are in the parent; stats, top and
// ps find it; after kill -9 of the supervisor, `down` (without the flag) removes every
// group stack made, the parent's own included, and keeps the one that was there. The
// same for a `stack run` killed with SIGKILL. The pure v2 VM checks an absolute parent
// (tests/vm/stack-limits.sh).
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "engine/cgroup/host.hpp"
#include "tests/integration/stats/fixture.hpp"

using stack::stats_test::StackFixture;
using stack::testing::alive;
using stack::testing::has;
using stack::testing::run;
namespace sfs = std::filesystem;

namespace {

// The default base of each hierarchy stack uses: the test's (and so stack's) starting
// groups on v1/hybrid, the cgroup2 mount on a unified host (engine/cgroup/detect.cpp).
struct Bases {
  stack::cgroup::HostLayout layout;
  std::set<std::string> all() const {
    std::set<std::string> out;
    if (layout.mode == stack::cgroup::Mode::kUnified) return {*layout.unified_mount};
    for (const auto& [c, d] : layout.v1_dirs)
      if (c != "devices" && c != "net_cls" && c != "net_prio" && c != "perf_event" && c != "hugetlb" &&
          c != "rdma" && c != "misc")
        out.insert(d);
    if (layout.unified_dir) out.insert(*layout.unified_dir);
    return out;
  }
  // The directory of controller's hierarchy whose files hold its limits.
  std::string of(const std::string& controller) const {
    if (layout.mode == stack::cgroup::Mode::kUnified) return *layout.unified_mount;
    return layout.v1_dirs.at(controller);
  }
};

// The path of the controller's line in /proc/<pid>/cgroup ("4:memory:/x/y" -> "/x/y").
std::string proc_cgroup(int pid, const std::string& controller) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    std::string ctl = line.substr(a + 1, b - a - 1);
    if (ctl == controller || (controller.empty() && ctl.empty()) || has("," + ctl + ",", "," + controller + ","))
      return line.substr(b + 1);
  }
  return "?";
}

// A group of the test's own, below its starting groups (cpuset: values copied so that a
// child can hold processes, cgroup-v1/cpusets.rst).
void make_group(const Bases& b, const std::string& rel) {
  for (const auto& base : b.all()) {
    sfs::create_directories(base + "/" + rel);
    for (const char* f : {"cpuset.cpus", "cpuset.mems"})
      if (sfs::exists(base + "/" + f)) run("cat " + base + "/" + f + " > " + base + "/" + rel + "/" + f);
  }
}

std::string existing(const Bases& b, const std::string& rel) {
  std::string out;
  for (const auto& base : b.all())
    if (sfs::exists(base + "/" + rel)) out += base + "/" + rel + "\n";
  return out;
}

}  // namespace

TEST_CASE("--cgroup-parent and cgroup_parent: groups in the parent, removed after kill -9 and down", "[cgroup]") {
  StackFixture fx("cgp");
  auto layout = stack::cgroup::read_host_layout();
  REQUIRE(layout);
  Bases b{*layout};
  bool v2 = layout->mode == stack::cgroup::Mode::kUnified;
  std::string made = fx.project + "-made", keep = fx.project + "-keep";
  make_group(b, keep);
  struct Cleanup {  // whatever happened: the test's own group and anything left in it
    Bases b;
    std::string made, keep;
    ~Cleanup() {
      for (const auto& base : b.all())
        for (const auto& r : {made, keep}) run("find " + base + "/" + r + " -depth -type d -exec rmdir {} \\; 2>/dev/null");
    }
  } cleanup{b, made, keep};
  fx.write("  app:\n    image: busybox:st\n    mem_limit: 48m\n    pids_limit: 30\n"
           "    command: [\"sh\", \"-c\", \"while :; do sleep 1; done\"]\n"
           "  svc:\n    image: busybox:st\n    cgroup_parent: " + keep + "/inner\n"
           "    command: [\"sleep\", \"1000\"]\n");

  auto bad = run(fx.cmd("--cgroup-parent " + made + "/../x up -d"));
  CHECK(bad.status == 2);
  CHECK(has(bad.out, "--cgroup-parent"));
  CHECK(existing(b, made) == "");

  auto up = run(fx.cmd("--cgroup-parent " + made + "/jobs up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int app = fx.pid("app"), svc = fx.pid("svc");
  REQUIRE(alive(app));
  std::string group = "/" + made + "/jobs/stack/" + fx.project + "/app-1";
  for (const char* c : {"memory", "pids"}) {
    std::string start = v2 ? "" : layout->v1_dirs.at(c).substr(layout->v1_mounts.at(c).size());
    INFO(c);
    CHECK(proc_cgroup(app, v2 ? "" : c) == start + group);
  }
  if (!v2 && layout->unified_dir) {  // hybrid: cloned into the unified group; freezer: joined by its tasks file
    CHECK(proc_cgroup(app, "") == layout->unified_dir->substr(layout->unified_mount->size()) + group);
    if (layout->v1_dirs.count("freezer"))
      CHECK(proc_cgroup(app, "freezer") ==
            layout->v1_dirs.at("freezer").substr(layout->v1_mounts.at("freezer").size()) + group);
  }
  CHECK(has(proc_cgroup(svc, v2 ? "" : "memory"), "/" + keep + "/inner/stack/" + fx.project + "/svc-1"));
  std::string mem = b.of("memory") + group, pids = b.of("pids") + group;
  CHECK(run("cat " + mem + (v2 ? "/memory.max" : "/memory.limit_in_bytes")).out == "50331648\n");
  CHECK(run("cat " + pids + "/pids.max").out == "30\n");

  auto stats = run(fx.cmd("stats --no-stream --format json app"));
  INFO(stats.out);
  CHECK(has(stats.out, "/ 48MiB"));
  auto top = run(fx.cmd("top app"));
  INFO(top.out);
  CHECK(has(top.out, "sleep 1"));
  CHECK(fx.container("app")["State"] == "running");

  int sup = fx.supervisor_pid();
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(!alive(sup));
  auto down = run(fx.cmd("down -t 0"));  // no --cgroup-parent: the journal knows
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(!alive(app));
  CHECK(existing(b, made) == "");
  CHECK(existing(b, keep + "/inner") == "");
  CHECK(existing(b, keep) != "");  // it was there before
  CHECK(fx.leftovers() == "");
}

TEST_CASE("stack run with --cgroup-parent: its group and the parent go, also after kill -9 and down", "[cgroup]") {
  StackFixture fx("cgr");
  auto layout = stack::cgroup::read_host_layout();
  REQUIRE(layout);
  Bases b{*layout};
  std::string made = fx.project + "-made";
  struct Cleanup {
    Bases b;
    std::string made;
    ~Cleanup() {
      for (const auto& base : b.all()) run("find " + base + "/" + made + " -depth -type d -exec rmdir {} \\; 2>/dev/null");
    }
  } cleanup{b, made};
  fx.write("  app:\n    image: busybox:st\n    pids_limit: 30\n    command: [\"true\"]\n");

  auto once = run(fx.cmd("--cgroup-parent " + made + " run -T app true"));
  INFO(once.out);
  CHECK(once.status == 0);
  CHECK(existing(b, made) == "");

  // A run killed with SIGKILL leaves its container; down finds it by its mark.
  run(fx.cmd("--cgroup-parent " + made + " run -T app sleep 1000") + " >/dev/null 2>&1 & echo $! > " + fx.tmp.path() +
      "/run.pid");
  int pid = std::stoi(run("cat " + fx.tmp.path() + "/run.pid").out);
  std::string dir = b.of("pids") + "/" + made + "/stack/" + fx.project;
  // Its group (the one-off mark is written before it, so down knows of a run killed
  // from here on: the group is what is left to find).
  for (int i = 0; i < 200 && run("ls " + dir + " 2>/dev/null | grep -q -e -run-", false).status != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(run("ls " + dir + " | grep -q -e -run-").status == 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  for (int i = 0; i < 100 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto down = run(fx.cmd("down -t 0"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(existing(b, made) == "");
  CHECK(fx.leftovers() == "");
}
