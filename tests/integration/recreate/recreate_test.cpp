// A second `up` applies changes to the running stack (compose's convergence), through
// the built binary with temporary roots and a busybox image: only changed services are
// recreated, --scale adds and removes replicas, orphans are warned about or removed,
// `up SERVICE` starts its dependencies only, --abort-on-container-exit and
// --exit-code-from return a container's code, and `up` after kill -9 of the supervisor
// cleans up and starts afresh. Each test asserts that nothing was left behind.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/stack_fixture.hpp"

using stack::testing::alive;
using stack::testing::has;
using stack::testing::run;

namespace {

struct Fixture : stack::testing::StackFixture {
  Fixture() : StackFixture("rc") {}

  // Container name -> its ps line.
  std::map<std::string, nlohmann::json> ps() const {
    std::map<std::string, nlohmann::json> out;
    for (auto& j : StackFixture::ps()) out[j.value("Name", "")] = j;
    return out;
  }
};

const char* kLoop = R"(["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])";

std::string two(const std::string& web_env) {
  return std::string("  db:\n    image: busybox:rc\n    command: ") + kLoop +
         "\n  web:\n    image: busybox:rc\n    command: " + kLoop + "\n    depends_on: [db]\n    environment:\n      COLOR: " +
         web_env + "\n";
}

}  // namespace

TEST_CASE("a second up recreates only what changed", "[recreate]") {
  Fixture fx;
  fx.write(two("red"));
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int db = fx.pid("db"), web = fx.pid("web");
  REQUIRE(alive(db));
  REQUIRE(alive(web));

  auto same = run(fx.cmd("up -d"));
  INFO(same.out);
  CHECK(same.status == 0);
  CHECK(has(same.out, "Container " + fx.name("db") + "  Running"));
  CHECK(has(same.out, "Container " + fx.name("web") + "  Running"));
  CHECK(fx.pid("db") == db);
  CHECK(fx.pid("web") == web);

  fx.write(two("blue"));
  auto changed = run(fx.cmd("up -d"));
  INFO(changed.out);
  CHECK(changed.status == 0);
  CHECK(has(changed.out, "Container " + fx.name("db") + "  Running"));
  CHECK(has(changed.out, "Container " + fx.name("web") + "  Recreated"));
  CHECK(has(changed.out, "Container " + fx.name("web") + "  Started"));
  CHECK(fx.pid("db") == db);
  int web2 = fx.pid("web");
  CHECK(web2 != web);
  CHECK(alive(web2));
  CHECK(!alive(web));
  CHECK(fx.ps().size() == 2);
  // The new container runs the new configuration.
  CHECK(has(run("cat /proc/" + std::to_string(web2) + "/environ | tr '\\0' '\\n'").out, "COLOR=blue\n"));

  fx.write(two("green"));
  auto kept = run(fx.cmd("up -d --no-recreate"));
  INFO(kept.out);
  CHECK(kept.status == 0);
  CHECK(fx.pid("web") == web2);

  auto forced = run(fx.cmd("up -d --force-recreate"));
  INFO(forced.out);
  CHECK(forced.status == 0);
  CHECK(has(forced.out, "Container " + fx.name("db") + "  Recreated"));
  CHECK(has(forced.out, "Container " + fx.name("web") + "  Recreated"));
  CHECK(fx.pid("db") != db);
  CHECK(fx.pid("web") != web2);
  CHECK(alive(fx.pid("db")));
  CHECK(!alive(db));

  CHECK(run(fx.cmd("down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("--scale adds replicas and removes them from the highest index", "[recreate]") {
  Fixture fx;
  fx.write(two("red"));
  auto first = run(fx.cmd("up -d"));
  INFO(first.out);
  REQUIRE(first.status == 0);
  int db = fx.pid("db"), web1 = fx.pid("web");
  auto up = run(fx.cmd("up -d --scale web=3"));
  INFO(up.out);
  CHECK(up.status == 0);
  CHECK(has(up.out, "Container " + fx.name("web", 3) + "  Started"));
  auto all = fx.ps();
  CHECK(all.size() == 4);
  CHECK(fx.pid("web", 1) == web1);
  CHECK(fx.pid("db") == db);
  CHECK(alive(fx.pid("web", 2)));
  CHECK(alive(fx.pid("web", 3)));
  // The running db learned the new names in its /etc/hosts, the new one knows db.
  std::string hosts_db = run("cat " + fx.root + "/containers/" + fx.name("db") + "/hosts").out;
  INFO(hosts_db);
  CHECK(has(hosts_db, " " + fx.name("web", 3) + "\n"));
  CHECK(has(run("cat /proc/" + std::to_string(fx.pid("db")) + "/root/etc/hosts").out, fx.name("web", 3)));
  CHECK(has(run("cat " + fx.root + "/containers/" + fx.name("web", 3) + "/hosts").out, " " + fx.name("db") + "\n"));

  auto down = run(fx.cmd("up -d --scale web=1"));
  INFO(down.out);
  CHECK(down.status == 0);
  auto removed3 = down.out.find("Container " + fx.name("web", 3) + "  Removed");
  auto removed2 = down.out.find("Container " + fx.name("web", 2) + "  Removed");
  CHECK(removed3 != std::string::npos);
  CHECK(removed2 != std::string::npos);
  CHECK(removed3 < removed2);
  CHECK(fx.ps().size() == 2);
  CHECK(fx.pid("web", 1) == web1);
  CHECK(!has(run("cat " + fx.root + "/containers/" + fx.name("db") + "/hosts").out, fx.name("web", 3)));
  CHECK(run("grep -c '" + fx.name("web", 3) + "' " + fx.root + "/network/ipam.state", false).out == "0\n");

  CHECK(run(fx.cmd("down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("orphans are warned about, and removed with --remove-orphans", "[recreate]") {
  Fixture fx;
  fx.write(two("red") + "  extra:\n    image: busybox:rc\n    command: " + kLoop + "\n");
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  int extra = fx.pid("extra");
  REQUIRE(alive(extra));
  fx.write(two("red"));
  auto warned = run(fx.cmd("up -d"));
  INFO(warned.out);
  CHECK(warned.status == 0);
  CHECK(has(warned.out, "Found orphan containers ([" + fx.name("extra") + "])"));
  CHECK(has(warned.out, "--remove-orphans"));
  CHECK(alive(extra));
  auto removed = run(fx.cmd("up -d --remove-orphans"));
  INFO(removed.out);
  CHECK(removed.status == 0);
  CHECK(has(removed.out, "Container " + fx.name("extra") + "  Removed"));
  CHECK(!alive(extra));
  CHECK(fx.ps().size() == 2);
  CHECK(run(fx.cmd("down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("up SERVICE starts it and its dependencies only", "[recreate]") {
  Fixture fx;
  fx.write(two("red") + "  other:\n    image: busybox:rc\n    command: " + kLoop + "\n");
  auto up = run(fx.cmd("up -d web"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  auto all = fx.ps();
  CHECK(all.size() == 2);
  CHECK(all.count(fx.name("db")) == 1);
  CHECK(all.count(fx.name("web")) == 1);
  CHECK(all.count(fx.name("other")) == 0);
  int web = fx.pid("web");
  auto rest = run(fx.cmd("up -d other"));
  INFO(rest.out);
  CHECK(rest.status == 0);
  CHECK(fx.ps().size() == 3);
  CHECK(fx.pid("web") == web);
  CHECK(run(fx.cmd("down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("--abort-on-container-exit and --exit-code-from return a container's code", "[recreate]") {
  Fixture fx;
  fx.write(std::string("  quick:\n    image: busybox:rc\n    command: [\"sh\", \"-c\", \"sleep 0.5; exit 3\"]\n") +
           "  long:\n    image: busybox:rc\n    command: [\"sh\", \"-c\", \"trap 'exit 5' TERM; while :; do sleep 0.1; done\"]\n");
  auto aborted = run(fx.cmd("up --no-color --abort-on-container-exit") + " < /dev/null");
  INFO(aborted.out);
  CHECK(aborted.status == 3);
  CHECK(has(aborted.out, "Aborting on container exit"));
  CHECK(run(fx.cmd("ps")).status == 1);  // the stack is down
  auto from = run(fx.cmd("up --no-color --exit-code-from long") + " < /dev/null");
  INFO(from.out);
  CHECK(from.status == 5);
  CHECK(run(fx.cmd("up -d --abort-on-container-exit")).status == 1);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("up after kill -9 of the supervisor cleans up and starts afresh", "[recreate]") {
  Fixture fx;
  fx.write(two("red"));
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  int db = fx.pid("db"), web = fx.pid("web");
  int sup = fx.supervisor_pid();
  REQUIRE(alive(sup));
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(!alive(sup));
  CHECK(alive(db));  // containers outlive their supervisor
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  CHECK(up.status == 0);
  CHECK(has(up.out, "cleaned up the remains of stack " + fx.project + " whose supervisor died"));
  CHECK(!alive(db));
  CHECK(!alive(web));
  auto all = fx.ps();
  CHECK(all.size() == 2);
  CHECK(alive(fx.pid("db")));
  CHECK(alive(fx.pid("web")));
  // One container dir and one cgroup per container: no duplicates of the old ones.
  CHECK(run("ls " + fx.root + "/containers | wc -l").out == "2\n");
  CHECK(run("find /sys/fs/cgroup -mindepth 1 -type d -path '*/stack/" + fx.project + "/*' -printf '%f\\n' | sort -u").out ==
        "db-1\nweb-1\n");

  // kill -9 again, then down: the host holds what it held before up (leftovers()).
  sup = fx.supervisor_pid();
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto down = run(fx.cmd("down"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("a later up joins new services to the stack's networks and refuses a changed network", "[recreate]") {
  Fixture fx;
  fx.write(two("red"));
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int web = fx.pid("web");
  std::string other = std::string("  other:\n    image: busybox:rc\n    command: ") + kLoop + "\n";
  fx.write(two("red") + other);
  auto added = run(fx.cmd("up -d"));
  INFO(added.out);
  REQUIRE(added.status == 0);
  REQUIRE(fx.pid("web") == web);
  // The new container is on the default network: it knows db, and db's /etc/hosts knows it.
  auto in_other = run(fx.cmd("exec -T other cat /etc/hosts"));
  INFO(in_other.out);
  CHECK(has(in_other.out, fx.name("db")));
  auto in_db = run(fx.cmd("exec -T db cat /etc/hosts"));
  INFO(in_db.out);
  CHECK(has(in_db.out, fx.name("other")));
  auto addr = run(fx.cmd("exec -T other ip -o -4 addr show eth0"));
  INFO(addr.out);
  CHECK(addr.status == 0);
  CHECK(has(addr.out, "inet "));
  // A network of the running stack whose definition changed: refused before anything
  // stops (new networks are made: tests/integration/netup/apply_networks_test.cpp).
  fx.write(two("red") + other + "networks:\n  default:\n    internal: true\n");
  auto refused = run(fx.cmd("up -d"));
  INFO(refused.out);
  CHECK(refused.status != 0);
  CHECK(has(refused.out, "changed"));
  CHECK(fx.pid("web") == web);
  CHECK(alive(fx.pid("other")));
  auto down = run(fx.cmd("down -t 0"));
  INFO(down.out);
  REQUIRE(down.status == 0);
  CHECK(fx.leftovers().empty());
}
