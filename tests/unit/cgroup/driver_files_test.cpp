// The drivers against temp directories that stand in for cgroupfs (style.md rule 10:
// the cgroup root is a constructor argument). This checks which files get which values;
// the kernel's side is checked in tests/integration/cgroup and tests/vm.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "engine/cgroup/cgroup1_driver.hpp"
#include "engine/cgroup/cgroup2_driver.hpp"
#include "tests/support/testing.hpp"

using namespace stack::cgroup;
using stack::testing::TempDir;

namespace {
void put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string get(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
void touch_all(const std::string& dir, std::initializer_list<const char*> files) {
  for (const char* f : files) put(dir + "/" + f, "");
}
}  // namespace

TEST_CASE("v2: create enables controllers in subtree_control, apply writes the files") {
  TempDir t("stack-cg-unit");
  put(t.path() + "/cgroup.controllers", "cpuset cpu io memory pids\n");
  put(t.path() + "/cgroup.subtree_control", "");
  Cgroup2Driver d(t.path());
  auto created = d.create("stack/demo/web-1");
  REQUIRE(created);
  CHECK(*created);
  CHECK(get(t.path() + "/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids");
  auto again = d.create("stack/demo/web-1");
  REQUIRE(again);
  CHECK_FALSE(*again);

  std::string leaf = t.path() + "/stack/demo/web-1";
  put(leaf + "/cgroup.controllers", "cpu memory pids\n");
  touch_all(leaf, {"memory.max", "memory.swap.max", "memory.low", "cpu.max", "cpu.weight", "pids.max"});
  Limits l;
  l.memory = 64 << 20;
  l.memory_reservation = 32 << 20;
  l.cpu_quota_us = 50000;
  l.cpu_shares = 1024;
  l.pids = 20;
  auto warnings = d.apply("stack/demo/web-1", l, Enforcement::kStrict);
  REQUIRE(warnings);
  CHECK(warnings->empty());
  CHECK(get(leaf + "/memory.max") == "67108864");
  CHECK(get(leaf + "/memory.swap.max") == "67108864");  // 2 x memory in all, so swap = memory
  CHECK(get(leaf + "/memory.low") == "33554432");
  CHECK(get(leaf + "/cpu.max") == "50000 100000");
  CHECK(get(leaf + "/cpu.weight") == "100");
  CHECK(get(leaf + "/pids.max") == "20");

  auto fd = d.clone_into_fd("stack/demo/web-1");
  REQUIRE(fd);
  CHECK(fd->valid());
}

TEST_CASE("v2: a controller the group lacks is an error, or a warning when asked") {
  TempDir t("stack-cg-unit");
  put(t.path() + "/cgroup.controllers", "memory pids\n");
  put(t.path() + "/cgroup.subtree_control", "");
  Cgroup2Driver d(t.path());
  REQUIRE(d.create("g"));
  put(t.path() + "/g/cgroup.controllers", "memory pids\n");
  touch_all(t.path() + "/g", {"pids.max"});
  Limits l;
  l.cpuset_cpus = "0";
  l.pids = 5;
  auto strict = d.apply("g", l, Enforcement::kStrict);
  REQUIRE_FALSE(strict);
  CHECK(strict.error().message ==
        "cpuset: cannot be enforced on this host: the cpuset controller is not available");
  CHECK(get(t.path() + "/g/pids.max").empty());  // nothing written on error
  auto check = d.check(l, Enforcement::kStrict);
  CHECK_FALSE(check);
  auto warn = d.apply("g", l, Enforcement::kWarn);
  REQUIRE(warn);
  REQUIRE(warn->size() == 1);
  CHECK_THAT(warn->front(), Catch::StartsWith("cpuset:"));
  CHECK(get(t.path() + "/g/pids.max") == "5");
}

TEST_CASE("v2: paths that leave the tree are refused") {
  TempDir t("stack-cg-unit");
  Cgroup2Driver d(t.path());
  CHECK_FALSE(d.create("../escape"));
  CHECK_FALSE(d.remove("/abs"));
  CHECK_FALSE(d.place_pid("a/../..", 1));
}

TEST_CASE("v1: one directory per hierarchy; swap without memsw files is refused") {
  TempDir t("stack-cg-unit");
  std::map<std::string, std::string> dirs;
  for (const char* c : {"memory", "cpu", "pids"}) {
    dirs[c] = t.path() + "/" + c;
    REQUIRE(::mkdir(dirs[c].c_str(), 0755) == 0);
  }
  touch_all(dirs["memory"], {"memory.limit_in_bytes"});  // no memory.memsw.*: accounting off
  touch_all(dirs["cpu"], {"cpu.cfs_quota_us", "cpu.shares"});
  Cgroup1Driver d(dirs, std::nullopt);
  CHECK(d.mode() == Mode::kLegacy);
  auto created = d.create("stack/p/s-1");
  REQUIRE(created);
  CHECK(*created);
  std::string mem = dirs["memory"] + "/stack/p/s-1", cpu = dirs["cpu"] + "/stack/p/s-1",
              pids = dirs["pids"] + "/stack/p/s-1";
  touch_all(mem, {"memory.limit_in_bytes", "memory.soft_limit_in_bytes"});
  touch_all(cpu, {"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares"});
  touch_all(pids, {"pids.max"});

  Limits l;
  l.memory = 64 << 20;
  l.memory_swap = 128 << 20;
  CHECK_FALSE(d.check(l, Enforcement::kStrict));
  auto refused = d.apply("stack/p/s-1", l, Enforcement::kStrict);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::StartsWith("memswap_limit: cannot be enforced"));

  l.memory_swap.reset();
  l.cpu_quota_us = 50000;
  l.cpu_shares = 512;
  l.pids = -1;
  auto ok = d.apply("stack/p/s-1", l, Enforcement::kStrict);
  REQUIRE(ok);
  CHECK(get(mem + "/memory.limit_in_bytes") == "67108864");
  CHECK(get(cpu + "/cpu.cfs_period_us") == "100000");
  CHECK(get(cpu + "/cpu.cfs_quota_us") == "50000");
  CHECK(get(cpu + "/cpu.shares") == "512");
  CHECK(get(pids + "/pids.max") == "max");

  auto fd = d.clone_into_fd("stack/p/s-1");
  REQUIRE(fd);
  CHECK_FALSE(fd->valid());  // v1: no cgroup2 group to clone into
  // The child joins by the tasks files: moving a single thread skips the grace period.
  CHECK(d.join_files("stack/p/s-1") ==
        std::vector<std::string>{cpu + "/tasks", mem + "/tasks", pids + "/tasks"});
}

TEST_CASE("hybrid: cloned into the unified group, the v1 groups joined by their tasks files") {
  TempDir t("stack-cg-unit");
  std::map<std::string, std::string> dirs;
  for (const char* c : {"memory", "pids"}) {
    dirs[c] = t.path() + "/" + c;
    REQUIRE(::mkdir(dirs[c].c_str(), 0755) == 0);
  }
  std::string unified = t.path() + "/unified";
  REQUIRE(::mkdir(unified.c_str(), 0755) == 0);
  Cgroup1Driver d(dirs, unified);
  CHECK(d.mode() == Mode::kHybrid);
  REQUIRE(d.create("stack/p/s-1"));
  auto fd = d.clone_into_fd("stack/p/s-1");
  REQUIRE(fd);
  REQUIRE(fd->valid());
  struct stat by_fd {}, by_path {};
  REQUIRE(::fstat(fd->get(), &by_fd) == 0);
  REQUIRE(::stat((unified + "/stack/p/s-1").c_str(), &by_path) == 0);
  CHECK(by_fd.st_ino == by_path.st_ino);
  CHECK(d.join_files("stack/p/s-1") == std::vector<std::string>{dirs["memory"] + "/stack/p/s-1/tasks",
                                                                 dirs["pids"] + "/stack/p/s-1/tasks"});
  CHECK_FALSE(d.clone_into_fd("../up"));
}
