// prune_empty: the empty parents of a removed container group go, busy ones stay.
// make_below: a group and its missing parents.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/cgroup/fs.hpp"
#include "tests/support/testing.hpp"

TEST_CASE("prune_empty removes empty groups up to the base and stops at a busy one") {
  stack::testing::TempDir t("stack-cg-unit");
  namespace fs = std::filesystem;
  fs::create_directories(t.path() + "/stack/p1/web-1");
  fs::create_directories(t.path() + "/stack/p2/db-1");

  // stack/p1/web-1 is already gone (removed by the driver); p1 empty, stack still has p2.
  fs::remove(t.path() + "/stack/p1/web-1");
  REQUIRE(stack::cgroup::fs::prune_empty(t.path(), "stack/p1/web-1"));
  CHECK_FALSE(fs::exists(t.path() + "/stack/p1"));
  CHECK(fs::exists(t.path() + "/stack/p2/db-1"));

  // The last project goes: stack goes too, the base stays.
  fs::remove(t.path() + "/stack/p2/db-1");
  REQUIRE(stack::cgroup::fs::prune_empty(t.path(), "stack/p2"));
  CHECK_FALSE(fs::exists(t.path() + "/stack"));
  CHECK(fs::exists(t.path()));
}

// make_below: the group itself is tried first (its parents exist for every container
// but the first); on_new sees every directory that was made, parents first.
TEST_CASE("make_below makes missing parents in order and reports whether the group is new") {
  stack::testing::TempDir t("stack-cg-unit");
  namespace fs = std::filesystem;
  std::vector<std::string> made;
  auto note = [&](const std::string& dir) -> stack::Result<void> {
    made.push_back(dir.substr(t.path().size()));
    return {};
  };
  auto first = stack::cgroup::fs::make_below(t.path(), "stack/p1/web-1", nullptr, note);
  REQUIRE(first);
  CHECK(*first);
  CHECK(made == std::vector<std::string>{"/stack", "/stack/p1", "/stack/p1/web-1"});

  made.clear();
  auto second = stack::cgroup::fs::make_below(t.path(), "stack/p1/web-2", nullptr, note);
  REQUIRE(second);
  CHECK(*second);
  CHECK(made == std::vector<std::string>{"/stack/p1/web-2"});

  made.clear();
  auto again = stack::cgroup::fs::make_below(t.path(), "stack/p1/web-2", nullptr, note);
  REQUIRE(again);
  CHECK_FALSE(*again);
  CHECK(made.empty());

  // A hook before each mkdir (cgroup v2: the parent's subtree_control) sees every level.
  std::vector<std::string> before;
  auto hook = [&](const std::string&, const std::string& dir) -> stack::Result<void> {
    before.push_back(dir.substr(t.path().size()));
    return {};
  };
  REQUIRE(stack::cgroup::fs::make_below(t.path(), "stack/p1/web-3", hook, nullptr));
  CHECK(before == std::vector<std::string>{"/stack", "/stack/p1", "/stack/p1/web-3"});

  fs::create_directories(t.path() + "/file-parent");
  std::ofstream(t.path() + "/file-parent/x") << "not a dir";
  auto bad = stack::cgroup::fs::make_below(t.path(), "file-parent/x/g", nullptr, nullptr);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ENOTDIR);
}
