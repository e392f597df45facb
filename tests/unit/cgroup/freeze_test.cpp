// The drivers' freezer files against temp directories standing in for cgroupfs; the
// kernel's side is checked by tests/integration/commands (pause).
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
}  // namespace

TEST_CASE("v2: freeze writes cgroup.freeze, frozen reads cgroup.events") {
  TempDir t("stack-cg-freeze");
  std::string leaf = t.path() + "/stack/p/web-1";
  REQUIRE(stack::testing::run("mkdir -p " + leaf).status == 0);
  Cgroup2Driver d(t.path());
  auto missing = d.freeze("stack/p/web-1", true);
  REQUIRE(!missing);
  CHECK(missing.error().message.find("cgroup.freeze") != std::string::npos);
  put(leaf + "/cgroup.freeze", "0");
  REQUIRE(d.freeze("stack/p/web-1", true));
  CHECK(get(leaf + "/cgroup.freeze") == "1");
  put(leaf + "/cgroup.events", "populated 1\nfrozen 0\n");
  CHECK(!*d.frozen("stack/p/web-1"));
  put(leaf + "/cgroup.events", "populated 1\nfrozen 1\n");
  CHECK(*d.frozen("stack/p/web-1"));
  REQUIRE(d.freeze("stack/p/web-1", false));
  CHECK(get(leaf + "/cgroup.freeze") == "0");
  CHECK(!d.freeze("../escape", true));
}

TEST_CASE("v1: the freezer controller's freezer.state; hybrid without it: the unified group") {
  TempDir t("stack-cg-freeze");
  std::string fz = t.path() + "/freezer", uni = t.path() + "/unified";
  REQUIRE(stack::testing::run("mkdir -p " + fz + "/stack/p/web-1 " + uni + "/stack/p/web-1").status == 0);
  Cgroup1Driver v1({{"freezer", fz}}, uni);
  put(fz + "/stack/p/web-1/freezer.state", "");  // cgroupfs files exist; write_value does not create
  REQUIRE(v1.freeze("stack/p/web-1", true));
  CHECK(get(fz + "/stack/p/web-1/freezer.state") == "FROZEN");
  CHECK(*v1.frozen("stack/p/web-1"));
  put(fz + "/stack/p/web-1/freezer.state", "FREEZING\n");
  CHECK(!*v1.frozen("stack/p/web-1"));
  put(fz + "/stack/p/web-1/freezer.state", "");
  REQUIRE(v1.freeze("stack/p/web-1", false));
  CHECK(get(fz + "/stack/p/web-1/freezer.state") == "THAWED");

  Cgroup1Driver hybrid({{"memory", t.path() + "/memory"}}, uni);
  put(uni + "/stack/p/web-1/cgroup.freeze", "0");
  REQUIRE(hybrid.freeze("stack/p/web-1", true));
  CHECK(get(uni + "/stack/p/web-1/cgroup.freeze") == "1");
  put(uni + "/stack/p/web-1/cgroup.events", "frozen 1\n");
  CHECK(*hybrid.frozen("stack/p/web-1"));

  Cgroup1Driver none({{"memory", t.path() + "/memory"}}, std::nullopt);
  auto r = none.freeze("stack/p/web-1", true);
  REQUIRE(!r);
  CHECK(r.error().message.find("no freezer") != std::string::npos);
}
