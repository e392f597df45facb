// The busybox examples (migrate, workers) run their real scripts in real containers with
// `stack run`: the image comes from examples/images/build --only busybox.
#include <catch2/catch.hpp>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::loopback_override;
using stack::examples_test::Sandbox;
using stack::examples_test::sh_quote;

namespace {
bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

void build_busybox(const Sandbox& sb) {
  auto b = sb.build_images("--only busybox");
  INFO(b.out);
  REQUIRE(b.status == 0);
  auto ls = sb.stack("migrate", "image ls");
  INFO(ls.out);
  REQUIRE(has(ls.out, "busybox"));
}
}  // namespace

TEST_CASE("migrate: the migration applies once, is idempotent, and web sees its result") {
  stack::testing::require_root();
  Sandbox sb;
  build_busybox(sb);
  auto first = sb.stack("migrate", "run --rm migrate");
  INFO(first.out);
  REQUIRE(first.status == 0);
  CHECK(has(first.out, "migration 1: applying"));
  CHECK(has(first.out, "migration 2: applying"));
  CHECK(has(first.out, "schema at version 2"));

  // A second run meets the same named volume: nothing is applied again.
  auto again = sb.stack("migrate", "run --rm migrate");
  INFO(again.out);
  REQUIRE(again.status == 0);
  CHECK(has(again.out, "migration 2: already applied"));
  CHECK_FALSE(has(again.out, "applying"));

  // web mounts the volume read-only and serves what the migration wrote.
  auto page = sb.stack("migrate", "run --rm web cat /db/www/index.html");
  INFO(page.out);
  CHECK(page.status == 0);
  CHECK(has(page.out, "schema version 2"));
  CHECK(sb.stack("migrate", "run --rm web touch /db/www/x").status != 0);

  // A migration that cannot be applied exits non-zero: up would then not start web.
  auto bad = sb.stack("migrate", "run --rm -e TARGET_VERSION=3 -- migrate");
  INFO(bad.out);
  CHECK(bad.status == 1);
  CHECK(has(bad.out, "migration 3: /migrations/3.sh missing"));
  CHECK(sb.leftovers() == "");
}

TEST_CASE("workers: a worker answers over HTTP and the proxy passes requests on") {
  stack::testing::require_root();
  Sandbox sb;
  build_busybox(sb);
  std::string lo = loopback_override(sb, {"worker", "proxy"});
  REQUIRE_FALSE(lo.empty());
  std::string files = "-f " + sh_quote(lo) + " ";

  auto w = sb.stack("workers", files + "run --rm worker sh -c " +
                                   sh_quote("ip link set lo up && httpd -p 127.0.0.1:8080 -h /srv && "
                                            "wget -qO- http://127.0.0.1:8080/"));
  INFO(w.out);
  CHECK(w.status == 0);
  CHECK(has(w.out, "worker "));
  CHECK(has(w.out, " did job "));

  // The proxy's CGI in front of a stand-in upstream on 127.0.0.1:9000; then the upstream
  // goes away and the proxy answers 502 instead of hanging.
  std::string script =
      "ip link set lo up && mkdir /tmp/up && echo upstream-answer > /tmp/up/index.html && "
      "{ httpd -f -p 127.0.0.1:9000 -h /tmp/up & up=$!; } && httpd -p 127.0.0.1:8082 -h /srv && sleep 0.2; "
      "wget -qO- http://127.0.0.1:8082/ && kill $up && wait $up; "
      "wget -S -O- http://127.0.0.1:8082/ 2>&1; true";
  auto p = sb.stack("workers", files + "run --rm -e UPSTREAM=http://127.0.0.1:9000 -- proxy sh -c " + sh_quote(script));
  INFO(p.out);
  CHECK(p.status == 0);
  CHECK(has(p.out, "proxy: upstream-answer"));
  CHECK(has(p.out, "502 Bad Gateway"));
  CHECK(sb.leftovers() == "");
}
