// `stack run` on the stack's networks (docker compose run): the one-off container gets a
// veth on its service's networks, reaches a running service by name, is known on the
// network by its container name (<project>-<service>-run-<hex>; not by the service's
// name without --use-aliases); its dependencies are started first unless --no-deps; with
// no stack running the networks are made anyway; network_mode service: shares the
// service's netns. A run killed with SIGKILL, then down, leaves nothing on the host.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>

#include "network/names.hpp"
#include "tests/integration/commands/fixture.hpp"

using namespace cmdtest;
using stack::testing::has;

namespace {

const char* kServices = R"(  web:
    image: busybox:cm
    command: ["sh", "-c", "mkdir -p /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
  app:
    image: busybox:cm
    depends_on: [web]
    command: ["true"]
  side:
    image: busybox:cm
    network_mode: "service:web"
    command: ["true"]
)";

// A busybox shell function: the last line of GET / from host $1 port 80, or nothing (nc:
// the static busybox's wget crashes on some hosts).
const char* kGet = "get() { printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | nc -w 2 $1 80 2>/dev/null | tail -n 1; }; ";
// Tries `get $1` for up to 5 s (the service's httpd may be starting).
const char* kGetRetry = "getr() { for i in $(seq 50); do r=$(get $1) && [ -n \"$r\" ] && break; sleep 0.1; done; echo \"$r\"; }; ";

std::string in_sh(const std::string& script) { return "sh -c '" + std::string(kGet) + kGetRetry + script + "'"; }

// `stack run` in the background, its output in file: its pid, or -1.
pid_t start_run(const std::string& cmd, const std::string& file) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >" + file + " 2>&1 </dev/null").c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

// Waits (up to 20 s) for "key=value" in file: the value, or "".
std::string wait_value(const std::string& file, const std::string& key) {
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

// Whether the journal has a veth record for `name`, and a done for it.
bool veth_record_done(const std::string& journal, const std::string& name) {
  std::ifstream in(journal);
  std::optional<uint64_t> id;
  bool done = false;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.value("op", "") == "add" && j.value("kind", "") == "veth" && j["data"].value("name", "") == name)
      id = j.value("id", uint64_t{0});
    else if (id && j.value("op", "") == "done" && j.value("id", uint64_t{0}) == *id)
      done = true;
  }
  return id && done;
}

}  // namespace

TEST_CASE("a run joins its service's network: reaches a service by name, is known by its container name",
          "[commands]") {
  StackFixture fx(kServices);
  auto up = run(fx.cmd("up -d web"));
  INFO(up.out);
  REQUIRE(up.status == 0);

  auto r = run(fx.cmd("run --rm -T app " + in_sh("echo web=$(getr web); ip -o link | grep -c eth0; "
                                                    "grep nameserver /etc/resolv.conf; grep -c $(hostname) /etc/hosts; "
                                                    "echo host=$(hostname)")),
               false);
  INFO(r.out);
  CHECK(r.status == 0);
  CHECK(has(r.out, "web=from-web\n1\nnameserver "));
  // Once it exited, the supervisor deletes its veth (on its thread pool) and marks the
  // journal's record of it done.
  auto at = r.out.find("host=");
  REQUIRE(at != std::string::npos);
  std::string first = fx.project + "-app-run-" + r.out.substr(at + 5, 12);
  std::string veth = stack::net::veth_name(first, fx.project + "_default");
  std::string journal = fx.run_root + "/stacks/" + fx.project + "/journal";
  bool gone = false, done = false;
  for (int i = 0; i < 50 && !(gone && done); ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    gone = run("ip link show " + veth + " 2>/dev/null", false).status != 0;
    done = veth_record_done(journal, veth);
  }
  CHECK(gone);
  CHECK(done);

  // network_mode service:web: web's netns, so its httpd on 127.0.0.1.
  auto side = run(fx.cmd("run --rm -T side " + in_sh("echo side=$(get 127.0.0.1)")), false);
  INFO(side.out);
  CHECK(has(side.out, "side=from-web"));

  // A run that serves: web reaches it by its container name, not by the service's name.
  std::string out = fx.tmp.path() + "/run.out";
  pid_t cli = start_run(fx.cmd("run --rm -T app " +
                               in_sh("mkdir /www && echo from-run > /www/index.html && httpd -p 80 -h /www && "
                                     "echo host=$(hostname) && exec sleep 3141")),
                        out);
  REQUIRE(cli > 0);
  std::string hex = wait_value(out, "host");
  INFO(run("cat " + out, false).out);
  REQUIRE(hex.size() == 12);
  std::string name = fx.project + "-app-run-" + hex;
  // (No lookup of a name the stack does not know: its name server would ask the host's.)
  auto seen = run(fx.cmd("exec -T web " + in_sh("echo run=$(getr " + name + "); echo hosts=$(grep " + name +
                                                  " /etc/hosts | cut -f2); nslookup " + name +
                                                  " >/dev/null && echo dns=ok")),
                  false);
  INFO(seen.out);
  CHECK(has(seen.out, "run=from-run\nhosts=" + name + "\ndns=ok\n"));

  // kill -9 of the run: its container stays on the network until down removes all of it.
  ::kill(cli, SIGKILL);
  ::waitpid(cli, nullptr, 0);
  auto still = run(fx.cmd("exec -T web " + in_sh("echo run=$(getr " + name + ")")), false);
  CHECK(has(still.out, "run=from-run"));
  fx.down_clean();
}

TEST_CASE("a run starts its dependencies first, or with --no-deps only the stack's networks", "[commands]") {
  StackFixture fx(kServices);
  SECTION("dependencies") {
    auto r = run(fx.cmd("run --rm -T app " + in_sh("echo web=$(getr web)")), false);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out == "web=from-web\n");  // compose's progress lines went to stderr
    CHECK(fx.container("web").value("State", "") == "running");
    CHECK(fx.container("app").empty());
  }
  SECTION("--no-deps") {
    auto r = run(fx.cmd("run --rm -T --no-deps app " +
                        in_sh("ip -o -4 addr show eth0 | grep -c inet; echo web=$(get web)")),
                 false);
    INFO(r.out);
    CHECK(r.status == 0);
    CHECK(r.out == "1\nweb=\n");
    CHECK(fx.container("web").empty());
  }
  fx.down_clean();
}

TEST_CASE("a run on the network, its supervisor and the run killed with SIGKILL: down leaves nothing", "[commands]") {
  StackFixture fx(kServices);
  std::string out = fx.tmp.path() + "/run.out";
  pid_t cli = start_run(fx.cmd("run --rm -T --no-deps app " + in_sh("echo host=$(hostname) && exec sleep 3141")), out);
  REQUIRE(cli > 0);
  REQUIRE(wait_value(out, "host").size() == 12);
  int sup = fx.supervisor_pid();
  REQUIRE(sup > 0);
  fx.cmd("ps");  // the journal's links are noted for the leak check
  ::kill(sup, SIGKILL);
  ::kill(cli, SIGKILL);
  ::waitpid(cli, nullptr, 0);
  for (int i = 0; i < 100 && alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  fx.down_clean("down -t 0");
}
