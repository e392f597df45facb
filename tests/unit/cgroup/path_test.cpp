#include <catch2/catch.hpp>

#include "engine/cgroup/path.hpp"

using namespace stack::cgroup;

TEST_CASE("names are escaped into one safe component") {
  CHECK(escape_name("web") == "web");
  CHECK(escape_name("my_app-2") == "my_app-2");
  CHECK(escape_name("a/b") == "a%2Fb");
  CHECK(escape_name("..") == "%2E%2E");
  CHECK(escape_name("cpu.shares") == "cpu%2Eshares");
  CHECK(escape_name("") == "%");
  CHECK(escape_name("a%b") == "a%25b");
}

TEST_CASE("container paths") {
  CHECK(project_path("demo") == "stack/demo");
  CHECK(cgroup_path("demo", "web", 1) == "stack/demo/web-1");
  CHECK(cgroup_path("de/mo", "w.b", 2) == "stack/de%2Fmo/w%2Eb-2");
}

TEST_CASE("relative paths that could leave the tree are refused") {
  CHECK(check_relative("stack/demo/web-1"));
  CHECK(check_relative("a"));
  CHECK_FALSE(check_relative(""));
  CHECK_FALSE(check_relative("/stack"));
  CHECK_FALSE(check_relative("stack/"));
  CHECK_FALSE(check_relative("stack//x"));
  CHECK_FALSE(check_relative("stack/../../etc"));
  CHECK_FALSE(check_relative("."));
}
