// The web-db example end to end through `stack up`: db (redis) becomes healthy, web starts
// after it (service_healthy), an HTTP request from the host through the published port on
// 127.0.0.1 counts in redis, the count survives `down` + `up` in the named volume, and
// `down -v` leaves nothing on the host. Temporary --root and --run-root; the published
// port is the example's ${WEB_PORT} (a free one here).
#include <catch2/catch.hpp>
#include <chrono>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::UpExample;
using stack::testing::has;

TEST_CASE("web-db: up, count through redis over HTTP, down, up keeps the count, down -v leaves nothing") {
  stack::testing::require_root();
  UpExample w("web-db", "WEB_PORT");
  REQUIRE(w.port > 0);
  auto b = w.sb.build_images("");
  if (b.status == 3) stack::testing::skip("examples/images/build cannot build the Debian image here:\n" + b.out);
  INFO(b.out);
  REQUIRE(b.status == 0);

  auto t0 = std::chrono::steady_clock::now();
  auto up = w.stack("up -d --wait --wait-timeout 60");
  double t_up = stack::testing::since(t0);
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(has(up.out, "Container " + w.project + "-db-1  Healthy"));
  CHECK(has(up.out, "Container " + w.project + "-web-1  Healthy"));
  auto ps = w.stack("ps --format json");
  INFO(ps.out);
  CHECK(has(ps.out, "\"Health\":\"healthy\""));
  CHECK(has(ps.out, "\"PublishedPort\":" + std::to_string(w.port)));

  auto first = w.get();
  INFO(first);
  CHECK(has(first, "hits: 1 (served by " + w.project + "-web-1)"));
  CHECK(has(w.get(), "hits: 2 "));

  REQUIRE(w.stack("down").status == 0);
  CHECK(w.get() == "");  // nothing listens any more
  REQUIRE(w.stack("up -d --wait --wait-timeout 60").status == 0);
  auto again = w.get();
  INFO(again);
  CHECK(has(again, "hits: 3 "));  // the named volume kept redis's data

  auto down = w.stack("down -v");
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(w.leftovers() == "");
  WARN("web-db: up -d --wait took " << t_up << " s");
}
