#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "engine/state/layout.hpp"
#include "tests/support/testing.hpp"

using stack::state::Layout;

TEST_CASE("layout names every file of a stack") {
  auto l = Layout::make("/var/lib/stack/", "/run/stack", "web_app-1");
  REQUIRE(l);
  CHECK(l->stack_dir() == "/run/stack/stacks/web_app-1");
  CHECK(l->control_socket() == "/run/stack/stacks/web_app-1/control.sock");
  CHECK(l->supervisor_pid() == "/run/stack/stacks/web_app-1/supervisor.pid");
  CHECK(l->lock() == "/run/stack/stacks/web_app-1/lock");
  CHECK(l->state_file() == "/run/stack/stacks/web_app-1/state.json");
  CHECK(l->journal() == "/run/stack/stacks/web_app-1/journal");
  CHECK(l->logs_dir() == "/var/lib/stack/stacks/web_app-1/logs");
  CHECK(l->log_file("web_app-1-web-1") == "/var/lib/stack/stacks/web_app-1/logs/web_app-1-web-1/web_app-1-web-1-json.log");
}

TEST_CASE("layout refuses names that are not safe path components") {
  for (const char* bad : {"", "Web", "-x", "a/b", "..", "a b", "_x"}) {
    INFO(bad);
    CHECK_FALSE(Layout::make("/r", "/rr", bad));
  }
  CHECK(stack::state::check_container_name("p-web-1"));
  CHECK(stack::state::check_container_name("P.web_1"));
  CHECK_FALSE(stack::state::check_container_name("../x"));
  CHECK_FALSE(stack::state::check_container_name("a/b"));
  CHECK_FALSE(stack::state::check_container_name(".hidden"));
}

TEST_CASE("layout refuses a run root too long for a unix socket address") {
  auto l = Layout::make("/r", "/" + std::string(90, 'x'), "proj");
  REQUIRE_FALSE(l);
  CHECK(l.error().message.find("unix socket") != std::string::npos);
  CHECK(Layout::make("/r", "/" + std::string(60, 'x'), "proj"));
}

TEST_CASE("layout creates the run directory private and the logs directory") {
  stack::testing::TempDir dir;
  auto l = Layout::make(dir.path() + "/root", dir.path() + "/run", "p");
  REQUIRE(l);
  REQUIRE(l->ensure());
  struct stat st {};
  REQUIRE(::stat(l->stack_dir().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(l->logs_dir().c_str(), &st) == 0);
  CHECK(S_ISDIR(st.st_mode));
  REQUIRE(l->ensure());  // idempotent
}
