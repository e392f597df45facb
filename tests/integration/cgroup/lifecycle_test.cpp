#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <vector>

#include "engine/cgroup/cgroup1_driver.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/host.hpp"
#include "engine/cgroup/path.hpp"
#include "tests/integration/cgroup/support.hpp"

using namespace stack::cgroup;
using namespace stack::cgroup::itest;

namespace {
[[noreturn]] void sleeper_with_children() {
  for (int i = 0; i < 3; ++i)
    if (::fork() == 0) break;  // a small tree: kill_all must get the grandchildren too
  for (;;) ::pause();
}
}  // namespace

TEST_CASE("a placed process is in every hierarchy's group before it runs") {
  Driver& d = host_driver();
  TestGroup g("place");
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  Child c(d, g.rel(), [&] {
    (void)!::write(ready[1], "r", 1);
    for (;;) ::pause();
  });
  char b;
  REQUIRE(::read(ready[0], &b, 1) == 1);
  ::close(ready[0]);
  ::close(ready[1]);
  for (const char* controller : {"memory", "cpu", "pids"}) {
    std::string path = cgroup_of(c.pid(), d.mode() == Mode::kUnified ? "" : controller);
    INFO(controller << ": " << path);
    CHECK(path.size() >= g.rel().size());
    CHECK(path.compare(path.size() - g.rel().size(), g.rel().size(), g.rel()) == 0);
  }
  if (d.mode() == Mode::kHybrid) {  // also in the cgroup2 tracking group (for cgroup.kill)
    std::string path = cgroup_of(c.pid(), "");
    INFO("cgroup2: " << path);
    CHECK(path.size() >= g.rel().size());
    CHECK(path.compare(path.size() - g.rel().size(), g.rel().size(), g.rel()) == 0);
  }
  auto pids = d.pids(g.rel());
  REQUIRE(pids);
  CHECK(*pids == std::vector<pid_t>{c.pid()});
}

TEST_CASE("create is idempotent; kill_all and remove leave no directory of ours") {
  Driver& d = host_driver();
  TestGroup guard("guard");  // cleans up if a check below fails half way
  std::string rel = prefix() + "/" + cgroup_path("life", "web", 1);
  {
    auto again = d.create(rel);
    REQUIRE(again);
    CHECK(*again);
    auto twice = d.create(rel);
    REQUIRE(twice);
    CHECK_FALSE(*twice);
    Child a(d, rel, sleeper_with_children);
    Child b(d, rel, sleeper_with_children);
    std::vector<pid_t> pids;
    for (int i = 0; i < 200 && pids.size() < 8; ++i) {
      ::usleep(10000);
      pids = d.pids(rel).value_or(std::vector<pid_t>{});
    }
    CHECK(pids.size() == 8);
    auto stats = d.stats(rel);
    REQUIRE(stats);
    CHECK(stats->pids_current == 8);
    CHECK(stats->memory_usage > 0);

    // The group is busy: removing it now must fail (EBUSY), not pretend.
    auto busy = d.remove(rel);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == EBUSY);

    REQUIRE(d.kill_all(rel));
    CHECK(d.pids(rel)->empty());
    CHECK(WTERMSIG(a.wait()) == SIGKILL);
    CHECK(WTERMSIG(b.wait()) == SIGKILL);
  }
  auto removed = d.remove(prefix());
  REQUIRE(removed);
  CHECK(*removed);
  CHECK(leftover_dirs().empty());
  auto gone = d.remove(prefix());
  REQUIRE(gone);
  CHECK_FALSE(*gone);              // already gone = success, false
  CHECK(d.kill_all(rel));          // nothing to kill = success
}

TEST_CASE("v1 without cgroup2 (legacy mode): kill_all freezes, kills and thaws") {
  Driver& host = host_driver();
  if (host.mode() != Mode::kHybrid) {
    WARN("not a hybrid host: the legacy-mode variant is covered by the host's own driver");
    return;
  }
  auto layout = read_host_layout();
  REQUIRE(layout);
  std::map<std::string, std::string> dirs;
  for (const char* c : {"memory", "cpu", "cpuacct", "pids", "freezer"}) dirs[c] = layout->v1_dirs.at(c);
  Cgroup1Driver legacy(dirs, std::nullopt);
  CHECK(legacy.mode() == Mode::kLegacy);
  TestGroup guard("legacy-guard");  // removes prefix() through the host driver at the end
  std::string rel = prefix() + "/legacy";
  REQUIRE(legacy.create(rel));
  Child a(legacy, rel, sleeper_with_children);
  std::vector<pid_t> pids;
  for (int i = 0; i < 200 && pids.size() < 4; ++i) {
    ::usleep(10000);
    pids = legacy.pids(rel).value_or(std::vector<pid_t>{});
  }
  CHECK(pids.size() == 4);
  REQUIRE(legacy.kill_all(rel));
  CHECK(legacy.pids(rel)->empty());
  CHECK(WTERMSIG(a.wait()) == SIGKILL);
  CHECK(read_trimmed(layout->v1_dirs.at("freezer") + "/" + rel + "/freezer.state") == "THAWED");
  auto removed = legacy.remove(rel);
  REQUIRE(removed);
  CHECK(*removed);
}

TEST_CASE("v1 cpuset: the groups above a container's pass cpus and mems on, and it can hold a process") {
  Driver& d = host_driver();
  auto layout = read_host_layout();
  REQUIRE(layout);
  if (d.mode() == Mode::kUnified || !layout->v1_dirs.count("cpuset")) {
    SUCCEED("no v1 cpuset hierarchy here");
    return;
  }
  TestGroup first("cpus-a");  // makes prefix() and its group below it
  TestGroup second("cpus-b");  // made below a prefix() that already passes them on
  CHECK(read_trimmed(file_of("cpuset", prefix(), "cgroup.clone_children")) == "1");
  std::string cpus = read_trimmed(file_of("cpuset", prefix(), "cpuset.cpus"));
  std::string mems = read_trimmed(file_of("cpuset", prefix(), "cpuset.mems"));
  CHECK_FALSE(cpus.empty());
  for (const auto* g : {&first, &second}) {
    INFO(g->rel());
    CHECK(read_trimmed(file_of("cpuset", g->rel(), "cpuset.cpus")) == cpus);
    CHECK(read_trimmed(file_of("cpuset", g->rel(), "cpuset.mems")) == mems);
  }
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  Child c(d, second.rel(), [&] {
    (void)!::write(ready[1], "r", 1);
    for (;;) ::pause();
  });
  char b;
  REQUIRE(::read(ready[0], &b, 1) == 1);  // it joined every hierarchy (an empty cpuset refuses: ENOSPC)
  ::close(ready[0]);
  ::close(ready[1]);
  std::string path = cgroup_of(c.pid(), "cpuset");
  CHECK(path.compare(path.size() - second.rel().size(), second.rel().size(), second.rel()) == 0);
}
