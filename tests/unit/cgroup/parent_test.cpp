// A configured cgroup parent: the text is checked, and each hierarchy's base is the
// parent below the default base (relative) or below the hierarchy's mount (absolute).
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/cgroup/host.hpp"
#include "engine/cgroup/parent.hpp"
#include "tests/support/testing.hpp"

using namespace stack::cgroup;
namespace sfs = std::filesystem;

TEST_CASE("parse_parent: relative, absolute, the default, and what is refused") {
  auto rel = parse_parent("ci/jobs");
  REQUIRE(rel);
  CHECK_FALSE(rel->absolute);
  CHECK(rel->path == "ci/jobs");
  CHECK(rel->spec() == "ci/jobs");
  auto abs = parse_parent("/system.slice/stack.slice");
  REQUIRE(abs);
  CHECK(abs->absolute);
  CHECK(abs->path == "system.slice/stack.slice");
  CHECK(abs->spec() == "/system.slice/stack.slice");
  CHECK(parse_parent("")->is_default());
  auto top = parse_parent("/");
  REQUIRE(top);
  CHECK(top->absolute);
  CHECK(top->path.empty());
  CHECK(top->spec() == "/");
  for (const char* bad : {"a//b", "a/", "../a", "a/../b", "/a/./b", "//a"}) {
    auto r = parse_parent(bad);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains(std::string("'") + bad + "'"));
  }
}

namespace {

// A hybrid-like layout in a temp dir: memory and pids hierarchies started below the
// mounts, a cgroup2 tracking hierarchy.
HostLayout temp_layout(const std::string& t) {
  HostLayout l;
  l.mode = Mode::kHybrid;
  l.v1_mounts = {{"memory", t + "/memory"}, {"pids", t + "/pids"}};
  l.v1_dirs = {{"memory", t + "/memory/start"}, {"pids", t + "/pids/start"}};
  l.unified_mount = t + "/unified";
  l.unified_dir = t + "/unified/start";
  for (const auto& d : {l.v1_dirs.at("memory"), l.v1_dirs.at("pids"), *l.unified_dir}) sfs::create_directories(d);
  return l;
}

}  // namespace

TEST_CASE("make_driver: a relative parent is below the starting groups, an absolute one below the mounts") {
  stack::testing::TempDir t("stack-cg-parent");
  HostLayout l = temp_layout(t.path());
  auto rel = make_driver(l, *parse_parent("p/q"));
  REQUIRE(rel);
  sfs::create_directories(t.path() + "/memory/start/p/q");
  sfs::create_directories(t.path() + "/pids/start/p/q");
  sfs::create_directories(t.path() + "/unified/start/p/q");
  REQUIRE((*rel)->create("stack/x/web-1"));
  for (const char* h : {"memory", "pids", "unified"})
    CHECK(sfs::is_directory(t.path() + "/" + h + "/start/p/q/stack/x/web-1"));
  CHECK((*rel)->exists("stack/x"));

  auto top = make_driver(l, *parse_parent("/"));
  REQUIRE(top);
  REQUIRE((*top)->create("a/b"));
  for (const char* h : {"memory", "pids", "unified"}) CHECK(sfs::is_directory(t.path() + "/" + h + "/a/b"));
  auto abs = make_driver(l, *parse_parent("/a/b"));
  REQUIRE(abs);
  CHECK_FALSE((*abs)->exists("stack"));
  REQUIRE((*abs)->prune_empty("c"));  // nothing there: fine
  CHECK(sfs::is_directory(t.path() + "/memory/a/b"));
  REQUIRE((*top)->prune_empty("a/b"));
  CHECK_FALSE(sfs::exists(t.path() + "/memory/a"));
  CHECK(sfs::is_directory(t.path() + "/memory/start"));
}

TEST_CASE("make_driver: on a unified host a relative parent is below the top of the mount") {
  stack::testing::TempDir t("stack-cg-parent");
  HostLayout l;
  l.mode = Mode::kUnified;
  l.unified_mount = t.path();
  l.unified_dir = t.path() + "/user.slice/session-1.scope";
  auto rel = make_driver(l, *parse_parent("p"));
  auto abs = make_driver(l, *parse_parent("/p"));
  REQUIRE(rel);
  REQUIRE(abs);
  sfs::create_directories(t.path() + "/p/stack");
  CHECK((*rel)->exists("stack"));
  CHECK((*abs)->exists("stack"));
}
