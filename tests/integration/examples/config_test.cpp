// Every example stack file is accepted by `stack config` (and by docker-compose, when it
// is installed, so the examples stay compose files), and resolves to what it is meant to show.
#include <catch2/catch.hpp>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::example_file;
using stack::examples_test::Sandbox;
using stack::examples_test::sh_quote;
using stack::testing::run;

namespace {
bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }
}  // namespace

TEST_CASE("stack config accepts each example and keeps what it shows") {
  Sandbox sb;
  SECTION("web-db") {
    auto r = sb.stack_as_user("web-db", "config");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "name: web-db"));
    CHECK(has(r.out, "condition: service_healthy"));
    CHECK(has(r.out, "host_ip: 127.0.0.1"));
    CHECK(has(r.out, "mem_limit:"));
    CHECK(has(r.out, "pids_limit: 64"));
    CHECK(has(r.out, "redis-cli"));
    CHECK(has(r.out, "web-db_data"));
  }
  SECTION("migrate") {
    auto r = sb.stack_as_user("migrate", "config");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "condition: service_completed_successfully"));
    CHECK(has(r.out, "migrate_db"));
  }
  SECTION("workers") {
    auto r = sb.stack_as_user("workers", "config");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "replicas: 3"));
    CHECK(has(r.out, "published: \"8082\""));
  }
  SECTION("config --services lists them in file order") {
    auto r = sb.stack_as_user("web-db", "config --services");
    INFO(r.out);
    REQUIRE(r.status == 0);
    CHECK(has(r.out, "db"));
    CHECK(has(r.out, "web"));
  }
}

TEST_CASE("docker-compose accepts each example too") {
  if (run("command -v docker-compose >/dev/null").status != 0)
    stack::testing::skip("docker-compose is not installed: cannot cross-check the examples against compose");
  for (const char* name : {"web-db", "migrate", "workers"}) {
    auto r = run("docker-compose -f " + sh_quote(example_file(name)) + " config -q");
    INFO(name << ": " << r.out);
    CHECK(r.status == 0);
  }
}

TEST_CASE("a broken copy of an example is refused with file:line:col") {
  Sandbox sb;
  // Copy web-db with pids_limit made a word; the error must point at that line.
  std::string copy = sb.root() + "/broken.yaml";
  REQUIRE(run("sed 's/pids_limit: 64/pids_limit: lots/' " + sh_quote(example_file("web-db")) + " > " + sh_quote(copy))
              .status == 0);
  auto line = run("grep -n 'pids_limit: lots' " + sh_quote(copy) + " | cut -d: -f1", false);
  REQUIRE(line.status == 0);
  std::string n = line.out.substr(0, line.out.find('\n'));
  auto r = run(sh_quote(stack::testing::stack_binary()) + " -f " + sh_quote(copy) + " config");
  INFO(r.out);
  CHECK(r.status == 1);
  CHECK(has(r.out, "broken.yaml:" + n + ":"));
  CHECK(has(r.out, "pids_limit"));
}
