// up -d / ps / logs / down through the built binary, with temporary roots and a busybox
// image: dependency order, restart counting, and nothing left behind, also after the
// supervisor was killed with SIGKILL, and with two `up`s racing.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "network/names.hpp"
#include "tests/support/stack_fixture.hpp"

using stack::testing::alive;
using stack::testing::find;
using stack::testing::run;

namespace {

// db, web (after db) and flaky (exits 1, restarted three times), image busybox:lc.
struct LifeFixture : stack::testing::StackFixture {
  LifeFixture() : StackFixture("lc") {
    write(R"(  db:
    image: busybox:lc
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db-ready; while :; do sleep 0.1; done"]
  web:
    image: busybox:lc
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-up; echo web-err >&2; while :; do sleep 0.1; done"]
    depends_on: [db]
  flaky:
    image: busybox:lc
    command: ["sh", "-c", "echo flaky-ran; exit 1"]
    restart: on-failure:3
)");
  }
};

// n services s1..sn of image that sleep until SIGTERM.
std::string sleepers(const std::string& image, int n) {
  std::string services;
  for (int i = 1; i <= n; ++i)
    services += "  s" + std::to_string(i) + ":\n    image: " + image +
                "\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep 1000 & wait\"]\n";
  return services;
}

// FDSize of /proc/<pid>/status: how many fds the process's table holds.
int fd_table_size(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("FDSize:", 0) == 0) return std::stoi(line.substr(7));
  return -1;
}

double seconds_of(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return stack::testing::since(t0);
}

}  // namespace

TEST_CASE("up -d, ps, logs, restart counting, down leaves nothing", "[lifecycle]") {
  LifeFixture fx;
  stack::testing::RunResult up;
  double t_up = seconds_of([&] { up = run(fx.cmd("up -d")); });
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(up.out.find("Container " + fx.project + "-db-1  Started") != std::string::npos);
  CHECK(up.out.find("Container " + fx.project + "-web-1  Started") != std::string::npos);

  // The default network's bridge exists while the stack runs (leftovers() looks for it).
  CHECK(run("ip -o link show | grep -cF ': " + stack::net::bridge_name(fx.project, "default") + ":'").out == "1\n");
  auto list = fx.ps();
  REQUIRE(list.size() == 3);
  auto db = find(list, "Service", "db"), web = find(list, "Service", "web");
  CHECK(db["State"] == "running");
  CHECK(web["State"] == "running");
  CHECK(db["Name"] == fx.project + "-db-1");
  CHECK(db["Project"] == fx.project);
  CHECK(db["Pid"].get<int>() > 0);
  CHECK(alive(web["Pid"].get<int>()));
  // web depends on db: it started after db was running.
  CHECK(db["StartedAt"].get<std::string>() <= web["StartedAt"].get<std::string>());
  CHECK(run(fx.cmd("ps -q")).out.find(fx.project + "-web-1\n") != std::string::npos);
  CHECK(run(fx.cmd("ps --services"), false).out.find("db\n") != std::string::npos);

  // flaky exits 1 under on-failure:3: three restarts, then it stays exited.
  auto flaky = fx.wait_state("flaky", "exited");
  INFO(flaky.dump());
  CHECK(flaky["State"] == "exited");
  CHECK(flaky["RestartCount"] == 3);
  CHECK(flaky["ExitCode"] == 1);

  auto logs = run(fx.cmd("logs --no-color"));
  INFO(logs.out);
  CHECK(logs.out.find("db-1") != std::string::npos);
  CHECK(logs.out.find("| db-ready\n") != std::string::npos);
  CHECK(logs.out.find("| web-up\n") != std::string::npos);
  CHECK(logs.out.find("| web-err\n") != std::string::npos);
  auto flaky_logs = run(fx.cmd("logs --no-log-prefix flaky"), false);
  CHECK(flaky_logs.out == "flaky-ran\nflaky-ran\nflaky-ran\nflaky-ran\n");

  stack::testing::RunResult down;
  double t_down = seconds_of([&] { down = run(fx.cmd("down")); });
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(!alive(db["Pid"].get<int>()));
  CHECK(!alive(web["Pid"].get<int>()));
  CHECK(fx.leftovers() == "");
  WARN("up -d took " << t_up << " s, down " << t_down << " s");

  auto gone = run(fx.cmd("ps"));
  CHECK(gone.status == 1);
  CHECK(gone.out.find("no such stack: " + fx.project) != std::string::npos);
  CHECK(run(fx.cmd("down")).status == 1);
}

TEST_CASE("down after kill -9 of the supervisor leaves nothing", "[lifecycle]") {
  LifeFixture fx;
  REQUIRE(run(fx.cmd("up -d")).status == 0);
  auto list = fx.ps();
  REQUIRE(list.size() == 3);
  int sup = fx.supervisor_pid();
  REQUIRE(alive(sup));
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && alive(sup); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(!alive(sup));
  // The containers outlive their supervisor until down.
  int db = find(list, "Service", "db")["Pid"].get<int>();
  CHECK(alive(db));
  auto down = run(fx.cmd("down"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(!alive(db));
  CHECK(!alive(find(list, "Service", "web")["Pid"].get<int>()));
  CHECK(fx.leftovers() == "");
}

TEST_CASE("two concurrent ups of one project make one stack", "[lifecycle]") {
  LifeFixture fx;
  auto both = run("(" + fx.cmd("up -d") + " > " + fx.tmp.path() + "/a 2>&1; echo a=$? >> " + fx.tmp.path() + "/rc) & (" +
                  fx.cmd("up -d") + " > " + fx.tmp.path() + "/b 2>&1; echo b=$? >> " + fx.tmp.path() + "/rc) & wait; sort " +
                  fx.tmp.path() + "/rc");
  INFO(run("cat " + fx.tmp.path() + "/a " + fx.tmp.path() + "/b").out);
  CHECK(both.out == "a=0\nb=0\n");
  auto list = fx.ps();
  CHECK(list.size() == 3);
  CHECK(find(list, "Service", "db")["State"] == "running");
  CHECK(run("ls " + fx.root + "/containers | grep -c db").out == "1\n");
  CHECK(run(fx.cmd("down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("a service reaches another by name on the stack's bridge", "[lifecycle][network]") {
  LifeFixture fx;
  fx.write(R"(  web:
    image: busybox:lc
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80"]
  client:
    image: busybox:lc
    # busybox's static wget crashes in glibc's resolver; nc names the host through /etc/hosts.
    command:
      - sh
      - -c
      - |
        for i in $$(seq 50); do
          r=$$(printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 web 80 | tail -n 1)
          if [ "$$r" = hello-from-web ]; then echo "$$r"; break; fi
          sleep 0.1
        done
        # The stack's name server on the gateway (busybox nslookup sends its own queries).
        nslookup -timeout=2 web > /dev/null && echo dns-ok
    depends_on: [web]
)");
  auto links = [] { return run("ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(sb-|sv)' | sort", false).out; };
  std::string before = links();
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  std::string during = links();
  auto client = fx.wait_state("client", "exited", 10);
  INFO(client.dump());
  CHECK(client["ExitCode"] == 0);
  // The published port: an ephemeral one on loopback, forwarded to web's port 80.
  auto pub = find(fx.ps(), "Service", "web")["Publishers"];
  INFO(pub.dump());
  REQUIRE(pub.size() == 1);
  CHECK(pub[0]["URL"] == "127.0.0.1");
  CHECK(pub[0]["TargetPort"] == 80);
  int port = pub[0]["PublishedPort"].get<int>();
  CHECK(port > 0);
  auto fetched = run("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 127.0.0.1 " + std::to_string(port) + " | tail -n 1", false);
  CHECK(fetched.out == "hello-from-web\n");
  auto logs = run(fx.cmd("logs --no-log-prefix client"));
  CHECK(logs.out == "hello-from-web\ndns-ok\n");
  // Our links: those that appeared with up; none of them may outlive down.
  std::string ours;
  std::istringstream in(during);
  for (std::string l; std::getline(in, l);)
    if (before.find(l + "\n") == std::string::npos) ours += l + "\n";
  CHECK(ours != "");  // a bridge and two veth host ends
  REQUIRE(run(fx.cmd("down")).status == 0);
  std::string after = links();
  std::istringstream again(ours);
  for (std::string l; std::getline(again, l);) CHECK(after.find(l + "\n") == std::string::npos);
  CHECK(fx.leftovers() == "");
  CHECK(run("grep -c " + fx.project + " " + fx.root + "/network/ipam.state").out == "0\n");
}

TEST_CASE("foreground up prints the logs and Ctrl-C stops the stack", "[lifecycle]") {
  LifeFixture fx;
  std::string out = fx.tmp.path() + "/fg.out";
  // The shell's background job ignores SIGINT (POSIX); setsid gives up its own signals.
  auto started = run("setsid " + fx.cmd("up --no-color") + " > " + out + " 2>&1 < /dev/null & echo $!", false);
  int pid = std::stoi(started.out);
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    logged = run("grep -c 'db-1 .*| db-ready' " + out, false).out == "1\n";
  }
  INFO(run("cat " + out).out);
  CHECK(logged);
  auto list = fx.ps();
  CHECK(list.size() == 3);
  REQUIRE(::kill(pid, SIGINT) == 0);
  for (int i = 0; i < 150 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(!alive(pid));
  for (const auto& c : list) CHECK(!alive(c["Pid"].get<int>()));
  CHECK(run(fx.cmd("ps")).status == 1);
  CHECK(fx.leftovers() == "");  // waits for the supervisor to exit
}

// up starts the containers of one apply together (ContainerRunner::start(false)): each
// child sets up while the loop makes the next. 30 services up and down three times:
// none may hang (a child holding another's fds used to deadlock a parallel start,
// docs/architecture.md), each up reports all 30 started and each down leaves nothing.
TEST_CASE("30 services start together, three times, without a hang", "[lifecycle]") {
  LifeFixture fx;
  fx.write(sleepers(fx.image, 30));
  for (int round = 0; round < 3; ++round) {
    auto up = run("timeout 120 " + fx.cmd("up -d"));
    INFO("round " << round << ": " << up.out);
    REQUIRE(up.status == 0);
    auto list = fx.ps();
    REQUIRE(list.size() == 30);
    for (const auto& c : list) CHECK(c.value("State", "") == "running");
    auto down = run("timeout 120 " + fx.cmd("down -t 5"));
    INFO(down.out);
    REQUIRE(down.status == 0);
    CHECK(fx.leftovers() == "");
  }
}

TEST_CASE("the supervisor grows its fd table for its services before it starts them", "[lifecycle]") {
  // Each growth of a shared fd table waits out an RCU grace period on the thread that
  // opened the fd (cmd/supervisor.cpp, reserve_fds: 64 + 16 per replica of the stack
  // file, so 384 for 20). Only s1 is started: without the reserve the table holds 256.
  LifeFixture fx;
  fx.write(sleepers(fx.image, 20));
  auto up = run("timeout 120 " + fx.cmd("up -d s1"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  REQUIRE(fx.ps().size() == 1);
  CHECK(fd_table_size(fx.supervisor_pid()) >= 384);
  auto down = run("timeout 120 " + fx.cmd("down -t 5"));
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}
