// The web-db example's Debian image, built from Debian's packages by examples/images/build
// (mmdebstrap, cached under ~/.cache/stack-examples), really works: redis-server starts, the
// web app counts through it over HTTP, and the named volume keeps the data. All inside
// `stack run` containers on their own loopback: `stack up` (networks between services)
// is tested end to end once it exists.
#include <catch2/catch.hpp>

#include "tests/integration/examples/examples.hpp"

using stack::examples_test::loopback_override;
using stack::examples_test::Sandbox;
using stack::examples_test::sh_quote;

namespace {
bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

// One store for all the tests here, built (or taken from the cache) and imported once;
// skips, saying why, when this machine cannot build the Debian image (the script exits 3).
const Sandbox& images() {
  static Sandbox sb;
  static bool built = false;
  if (!built) {
    auto b = sb.build_images("");
    if (b.status == 3) stack::testing::skip("examples/images/build cannot build the Debian image here:\n" + b.out);
    INFO(b.out);
    REQUIRE(b.status == 0);
    built = true;
  }
  return sb;
}

// Waits (up to 10 s) until redis answers PING with the redis-cli ARGS given.
std::string wait_for_redis(const std::string& args) {
  return "for i in $(seq 40); do redis-cli " + args +
         " ping 2>/dev/null | grep -q PONG && break; sleep 0.25; done; ";
}
}  // namespace

TEST_CASE("web-db: the Debian image's redis and the web app work inside containers") {
  stack::testing::require_root();
  const Sandbox& sb = images();

  auto version = sb.stack("web-db", "run --rm db redis-server --version");
  INFO(version.out);
  CHECK(version.status == 0);
  CHECK(has(version.out, "Redis server v=7"));

  std::string lo = "-f " + sh_quote(loopback_override(sb, {"db", "web"})) + " ";
  SECTION("the healthcheck fails without a server and passes with one") {
    std::string script = "busybox ip link set lo up; redis-cli ping; echo no-server=$?; "
                         "redis-server --bind 127.0.0.1 --dir /tmp --save '' --daemonize yes >/dev/null; " +
                         wait_for_redis("") + "redis-cli ping; echo server=$?";
    auto r = sb.stack("web-db", lo + "run --rm db sh -c " + sh_quote(script));
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK_FALSE(has(r.out, "no-server=0"));
    CHECK(has(r.out, "PONG\nserver=0"));
  }
  SECTION("an HTTP request counts through redis (both in one container)") {
    std::string script = "busybox ip link set lo up && "
                         "redis-server --bind 127.0.0.1 --dir /tmp --save '' --daemonize yes >/dev/null && " +
                         wait_for_redis("") +
                         "busybox httpd -p 127.0.0.1:8080 -h /srv/web && "
                         "busybox wget -qO- http://127.0.0.1:8080/ && "
                         "busybox wget -qO- http://127.0.0.1:8080/cgi-bin/index.cgi";
    auto r = sb.stack("web-db", lo + "run --rm -e REDIS_HOST=127.0.0.1 -- web sh -c " + sh_quote(script));
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(has(r.out, "hits: 1 (served by "));
    CHECK(has(r.out, "hits: 2 (served by "));
  }
  SECTION("without a database the web app answers 503") {
    // --no-deps: a run starts its dependencies (db) otherwise, as compose's does.
    std::string script = "busybox ip link set lo up && busybox httpd -p 127.0.0.1:8080 -h /srv/web && "
                         "busybox wget -S -O- http://127.0.0.1:8080/ 2>&1; true";
    auto r = sb.stack("web-db", lo + "run --rm --no-deps web sh -c " + sh_quote(script));
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(has(r.out, "503 Service Unavailable"));
  }
  CHECK(sb.leftovers() == "");
}

// redis with appendonly in the named volume: a count made in one container is there in
// the next. Run as root because of the bug below.
TEST_CASE("web-db: the named volume keeps redis's data from one container to the next") {
  stack::testing::require_root();
  const Sandbox& sb = images();
  std::string script = "redis-server --port 0 --unixsocket /tmp/r.sock --dir /data --appendonly yes --save '' "
                       "--daemonize yes >/dev/null && " +
                       wait_for_redis("-s /tmp/r.sock") +
                       "redis-cli -s /tmp/r.sock INCR hits && redis-cli -s /tmp/r.sock shutdown";
  for (const char* want : {"1\n", "2\n", "3\n"}) {
    auto r = sb.stack("web-db", "run --rm -u root db sh -c " + sh_quote(script), "-keep");
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out == want);
  }
  CHECK(sb.leftovers() == "");
}

// Docker's copy-up gives a new named volume the owner and mode of the image's directory
// (here /data, owned by redis), so the db service, running as user redis, can write there.
// stack's copy-up (cmd/run_spec.cpp named_volume) keeps owners and modes, as Docker does.
TEST_CASE("web-db: db as user redis writes into its fresh named volume") {
  stack::testing::require_root();
  const Sandbox& sb = images();
  std::string script = "id -un; redis-server --port 0 --unixsocket /tmp/r.sock --dir /data --appendonly yes "
                       "--save '' --daemonize yes >/dev/null && " +
                       wait_for_redis("-s /tmp/r.sock") + "redis-cli -s /tmp/r.sock INCR hits";
  auto r = sb.stack("web-db", "run --rm db sh -c " + sh_quote(script), "-fresh");
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(r.out == "redis\n1\n");
}

// Last (Catch runs test cases in file order): every `stack run` above, the failing one
// included, left no mount and no container cgroup behind.
TEST_CASE("web-db: the containers above left nothing behind") {
  stack::testing::require_root();
  CHECK(images().leftovers() == "");
}
