// The web-db example end to end through `stack up`: db (redis) becomes healthy, web starts
// after it (service_healthy), an HTTP request from the host through the published port on
// 127.0.0.1 counts in redis, the count survives `down` + `up` in the named volume, and
// `down -v` leaves nothing on the host. Temporary --root and --run-root; the published
// port is the example's ${WEB_PORT} (a free one here).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "network/names.hpp"
#include "tests/integration/examples/examples.hpp"

using stack::examples_test::Sandbox;
using stack::examples_test::sh_quote;
using stack::testing::run;

namespace {

bool has(const std::string& out, const std::string& what) { return out.find(what) != std::string::npos; }

// A port nobody listens on (ss(8)), from a range the kernel does not hand out.
int free_port() {
  for (int p = 20000 + ::getpid() % 10000; p < 32000; ++p)
    if (run("ss -Htln 'sport = :" + std::to_string(p) + "' | grep -q .", false).status != 0) return p;
  return 0;
}

struct WebDb {
  Sandbox sb;
  std::string run_root = sb.root() + "/run";
  int port = free_port();
  std::string project = sb.project("web-db", "-up");

  stack::testing::RunResult stack(const std::string& args) const {
    return sb.stack("web-db", "--run-root " + sh_quote(run_root) + " " + args, "-up");
  }
  // GET / from the host through the published port: the body. busybox nc, not wget (the
  // static busybox's wget crashes on some hosts) and not curl (not always installed).
  std::string get() const {
    return run("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 127.0.0.1 " + std::to_string(port) +
                   " | sed '1,/^\\r$/d'",
               false)
        .out;
  }
  // What the stack may have left: its cgroups, mounts under the root, its run files and
  // container dirs, its volume, its leases and its bridge (the veths hang on it).
  std::string leftovers() const {
    std::string out = sb.leftovers();
    out += run("find /sys/fs/cgroup -maxdepth 9 -type d -path " + sh_quote("*/stack/" + project + "*") + " 2>/dev/null").out;
    out += run("ls -A " + sh_quote(run_root + "/stacks/" + project), false).out;
    out += run("ls -A " + sh_quote(sb.root() + "/containers"), false).out;
    out += run("ls -d " + sh_quote(sb.root() + "/volumes/" + project + "_data"), false).out;
    out += run("grep -F " + sh_quote(project) + " " + sh_quote(sb.root() + "/network/ipam.state"), false).out;
    out += run("ip -o link show | grep -F " + sh_quote(": " + stack::net::bridge_name(project, "default") + ":")).out;
    return out;
  }
};

}  // namespace

TEST_CASE("web-db: up, count through redis over HTTP, down, up keeps the count, down -v leaves nothing") {
  stack::testing::require_root();
  WebDb w;
  REQUIRE(w.port > 0);
  auto b = w.sb.build_images("");
  if (b.status == 3) stack::testing::skip("examples/images/build cannot build the Debian image here:\n" + b.out);
  INFO(b.out);
  REQUIRE(b.status == 0);
  ::setenv("WEB_PORT", std::to_string(w.port).c_str(), 1);

  auto t0 = std::chrono::steady_clock::now();
  auto up = w.stack("up -d --wait --wait-timeout 60");
  double t_up = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
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
  ::unsetenv("WEB_PORT");
  CHECK(w.leftovers() == "");
  WARN("web-db: up -d --wait took " << t_up << " s");
}
