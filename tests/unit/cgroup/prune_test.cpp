// prune_empty: the empty parents of a removed container group go, busy ones stay.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>

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
