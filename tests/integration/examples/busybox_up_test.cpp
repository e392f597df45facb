// The busybox examples end to end through `stack up -d --wait`, as a user runs them from
// their folders: migrate (a one-shot migration, then web once it exited 0) and workers
// (three replicas behind a proxy that spreads requests over them). HTTP from the host
// through each example's published port on 127.0.0.1 (moved to a free one), and
// `down -v` leaves nothing on the host.
#include <catch2/catch.hpp>
#include <set>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::UpExample;
using stack::testing::find;
using stack::testing::has;

namespace {

// Builds the busybox image into the example's root, then `up -d --wait`: its output.
std::string build_and_up(const UpExample& u) {
  REQUIRE(u.port > 0);
  auto b = u.sb.build_images("--only busybox");
  INFO(b.out);
  REQUIRE(b.status == 0);
  auto up = u.stack("up -d --wait --wait-timeout 60");
  INFO(up.out);
  REQUIRE(up.status == 0);
  return up.out;
}

}  // namespace

TEST_CASE("migrate: up runs the migration first, web serves its result, a failed one keeps web down") {
  stack::testing::require_root();
  UpExample m("migrate", "MIGRATE_PORT");
  std::string up = build_and_up(m);
  INFO(up);
  CHECK(has(up, "Container " + m.project + "-migrate-1  Exited"));
  CHECK(has(up, "Container " + m.project + "-web-1  Healthy"));
  // web started only after migrate had exited (service_completed_successfully).
  auto ps = m.ps();
  auto migrate = find(ps, "Service", "migrate"), web = find(ps, "Service", "web");
  INFO(migrate.dump() << "\n" << web.dump());
  CHECK(migrate["State"] == "exited");
  CHECK(migrate["ExitCode"] == 0);
  CHECK(web["State"] == "running");
  REQUIRE(!migrate.value("FinishedAt", "").empty());
  CHECK(migrate.value("FinishedAt", "") <= web.value("StartedAt", ""));
  CHECK(m.get() == "schema version 2\napplied:\n1\n2\n");
  auto logs = m.stack("logs --no-log-prefix migrate");
  CHECK(has(logs.out, "migration 1: applying\nmigration 2: applying\nschema at version 2\n"));

  // down keeps the named volume: the second up's migration finds both steps applied.
  REQUIRE(m.stack("down").status == 0);
  CHECK(m.get() == "");
  REQUIRE(m.stack("up -d --wait --wait-timeout 60").status == 0);
  logs = m.stack("logs --no-log-prefix migrate");
  INFO(logs.out);
  CHECK(has(logs.out, "migration 2: already applied"));
  CHECK(!has(logs.out, "applying"));
  CHECK(has(m.get(), "schema version 2\n"));
  REQUIRE(m.stack("down").status == 0);

  // A migration that fails (no step 3): up fails and web is never started.
  auto bad = m.stack("up -d --wait --wait-timeout 60", "TARGET_VERSION=3");
  INFO(bad.out);
  CHECK(bad.status == 1);
  CHECK(has(bad.out, "Container " + m.project + "-web-1  Error"));
  CHECK(has(bad.out, "service \"migrate\" didn't complete successfully: exit 1"));
  CHECK(find(m.ps(), "Service", "web").value("State", "") != "running");
  CHECK(m.get() == "");

  auto down = m.stack("down -v");
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(has(down.out, "Volume " + m.project + "_db  Removed"));
  CHECK(m.leftovers() == "");
}

TEST_CASE("workers: the proxy spreads requests over the three replicas") {
  stack::testing::require_root();
  UpExample w("workers", "WORKERS_PORT");
  std::string up = build_and_up(w);
  INFO(up);
  for (const char* c : {"-worker-1", "-worker-2", "-worker-3", "-proxy-1"})
    CHECK(has(up, "Container " + w.project + c + "  Healthy"));
  CHECK(w.ps().size() == 4);

  // Each answer names the replica that did the job: "proxy: worker <name> did job <pid>".
  std::set<std::string> replicas;
  for (int i = 0; i < 9; ++i) {
    std::string body = w.get();
    INFO(body);
    auto at = body.find("proxy: worker ");
    CHECK(at != std::string::npos);
    if (at == std::string::npos) continue;
    std::string name = body.substr(at + 14, body.find(' ', at + 14) - at - 14);
    CHECK(name.rfind(w.project + "-worker-", 0) == 0);
    replicas.insert(name);
  }
  CHECK(replicas.size() == 3);

  auto down = w.stack("down -v");
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(w.leftovers() == "");
}
