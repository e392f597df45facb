// kill_until_empty: a group with nothing in it takes no kill round (no v1 freeze and
// thaw); one with processes takes rounds until it is empty. On plain directories with
// cgroup.procs files standing in for a cgroup tree.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/cgroup/limits_common.hpp"
#include "tests/support/testing.hpp"

namespace {
void write_procs(const std::string& dir, const std::string& text) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cgroup.procs") << text;
}
}  // namespace

TEST_CASE("kill_until_empty takes no round when the group and its children are empty") {
  stack::testing::TempDir t("stack-cg-unit");
  write_procs(t.path() + "/c", "");
  write_procs(t.path() + "/c/child", "");
  int rounds = 0;
  REQUIRE(stack::cgroup::kill_until_empty({t.path() + "/c"}, [&]() -> stack::Result<void> {
    ++rounds;
    return {};
  }));
  CHECK(rounds == 0);
}

TEST_CASE("kill_until_empty takes a round while a process is left, then returns") {
  stack::testing::TempDir t("stack-cg-unit");
  write_procs(t.path() + "/c", "");
  write_procs(t.path() + "/c/child", "4242\n");  // a process below the group counts too
  int rounds = 0;
  REQUIRE(stack::cgroup::kill_until_empty({t.path() + "/c"}, [&]() -> stack::Result<void> {
    ++rounds;
    write_procs(t.path() + "/c/child", "");  // the round's SIGKILL took effect
    return {};
  }));
  CHECK(rounds == 1);
}
