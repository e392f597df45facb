// `stack exec` into containers of a real stack (`up -d`, busybox image): exit codes,
// the container's namespaces, cgroup and hardening, -u/-w/-e, a pty, a stopped stack,
// and nothing left behind.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/stack_fixture.hpp"

using stack::testing::run;

namespace {

struct ExecFixture : stack::testing::StackFixture {
  ExecFixture() : StackFixture("ex") {
    write(R"(  app:
    image: busybox:ex
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    security_opt: ["no-new-privileges:true"]
    environment: {MODE: prod}
    working_dir: /srv
)");
  }

  stack::testing::RunResult exec(const std::string& args) const {
    return run(cmd("exec -T app " + args) + " </dev/null", false);
  }
  int pid1() const { return pid("app"); }
};

std::string status_lines(const std::string& text) {
  std::istringstream in(text);
  std::string out;
  for (std::string l; std::getline(in, l);)
    for (const char* k : {"CapEff:", "CapPrm:", "CapBnd:", "Seccomp:", "NoNewPrivs:", "Uid:"})
      if (l.rfind(k, 0) == 0) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("exec runs in the container's namespaces, cgroup and hardening", "[exec]") {
  ExecFixture fx;
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int pid = fx.pid1();
  REQUIRE(pid > 0);

  CHECK(fx.exec("sh -c 'exit 7'").status == 7);
  CHECK(fx.exec("true").status == 0);
  auto missing = run(fx.cmd("exec -T app no-such-command") + " </dev/null");
  CHECK(missing.status == 127);
  CHECK(missing.out.find("executable file not found") != std::string::npos);
  CHECK(fx.exec("/etc").status == 126);

  // PID 1 as the exec'd process sees it is the service's command.
  auto cmdline = fx.exec("sh -c \"tr '\\\\0' ' ' < /proc/1/cmdline\"");
  INFO(cmdline.out);
  CHECK(cmdline.out.find("while :; do sleep 0.1; done") != std::string::npos);

  // Every namespace is the container's: the same ns inodes as PID 1 from the host.
  for (const char* ns : {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
    auto inside = fx.exec(std::string("readlink /proc/self/ns/") + ns);
    auto host = run("readlink /proc/" + std::to_string(pid) + "/ns/" + ns, false);
    INFO(ns);
    CHECK(inside.status == 0);
    CHECK(inside.out == host.out);
  }
  auto hostname = fx.exec("hostname");
  CHECK(hostname.out == fx.project + "-app-1\n");
  auto addr = fx.exec("sh -c \"ip -o -4 addr show eth0 | awk '{print \\$4}'\"");
  auto host_addr = run("nsenter -t " + std::to_string(pid) + " -n ip -o -4 addr show eth0 | awk '{print $4}'", false);
  INFO(addr.out);
  CHECK(addr.out != "");
  CHECK(addr.out == host_addr.out);
  // The same cgroup (and cgroup namespace) as PID 1.
  auto cg = fx.exec("sh -c 'cat /proc/self/cgroup; echo --; cat /proc/1/cgroup'");
  auto halves = cg.out.find("--\n");
  REQUIRE(halves != std::string::npos);
  CHECK(cg.out.substr(0, halves) == cg.out.substr(halves + 3));
  CHECK(cg.out.substr(0, halves).find("/..") == std::string::npos);

  // Capabilities, seccomp, no_new_privs and uid as the container's PID 1.
  auto self = status_lines(fx.exec("cat /proc/self/status").out);
  auto init = status_lines(run("cat /proc/" + std::to_string(pid) + "/status", false).out);
  INFO(self);
  CHECK(self == init);
  CHECK(self.find("Seccomp:\t2\n") != std::string::npos);
  CHECK(self.find("NoNewPrivs:\t1\n") != std::string::npos);

  // -u, -w, -e; the container's env and working dir by default.
  CHECK(run(fx.cmd("exec -T -u nobody app id -u") + " </dev/null", false).out == "65534\n");
  CHECK(run(fx.cmd("exec -T -u 1234:55 app id -G") + " </dev/null", false).out == "55\n");
  CHECK(fx.exec("pwd").out == "/srv\n");
  CHECK(run(fx.cmd("exec -T -w /tmp app pwd") + " </dev/null", false).out == "/tmp\n");
  CHECK(run(fx.cmd("exec -T -e MODE=debug -e NEW=1 app sh -c 'echo $MODE $NEW'") + " </dev/null", false).out ==
        "debug 1\n");
  CHECK(fx.exec("sh -c 'echo $MODE'").out == "prod\n");
  CHECK(run(fx.cmd("exec -T -w /no/such/dir app true") + " </dev/null").status == 126);

  // stdin passes through; -d returns at once.
  CHECK(run("echo piped | " + fx.cmd("exec -T app cat"), false).out == "piped\n");
  CHECK(run(fx.cmd("exec -d app sh -c 'sleep 0.2; touch /tmp/detached'"), false).status == 0);
  bool detached = false;
  for (int i = 0; i < 50 && !detached; ++i) {
    detached = fx.exec("test -e /tmp/detached").status == 0;
    if (!detached) ::usleep(100'000);
  }
  CHECK(detached);

  // A pty from the container's devpts when stdin is a terminal.
  // script's stdin stays open (a closed one would make script send EOF into the pty).
  auto tty = run("sleep 1 | script -qec '" + fx.cmd("exec app sh -c \"tty; echo \\$TERM\"") + "' /dev/null", false);
  INFO(tty.out);
  CHECK(tty.out.find("/dev/pts/") != std::string::npos);
  CHECK(tty.out.find("xterm") != std::string::npos);
  // The window size follows the caller's terminal (set on script's pty by stty first).
  auto size = run("sleep 1 | script -qec 'stty rows 31 cols 101; " + fx.cmd("exec app stty size") + "' /dev/null", false);
  INFO(size.out);
  CHECK(size.out.find("31 101") != std::string::npos);
  auto tty_code = run("sleep 1 | script -qec '" + fx.cmd("exec app sh -c \"exit 3\"") + "' /dev/null", false);
  CHECK(tty_code.status == 3);

  // Errors: unknown service, another index.
  auto nosvc = run(fx.cmd("exec -T nope true") + " </dev/null");
  CHECK(nosvc.status == 1);
  CHECK(nosvc.out.find("no such service: nope") != std::string::npos);
  auto noidx = run(fx.cmd("exec -T --index 2 app true") + " </dev/null");
  CHECK(noidx.status == 1);
  CHECK(noidx.out.find("not running") != std::string::npos);

  // Every exec'd process was reaped: the supervisor's only child is the container.
  std::string sup = run("cat " + fx.run_root + "/stacks/" + fx.project + "/supervisor.pid", false).out;
  if (!sup.empty() && sup.back() == '\n') sup.pop_back();
  auto children = run("ps --ppid " + sup + " -o pid=,stat=", false).out;
  INFO(children);
  CHECK(std::stoi(children) == pid);
  CHECK(children.find('\n') == children.size() - 1);

  auto down = run(fx.cmd("down"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");

  auto stopped = run(fx.cmd("exec -T app true") + " </dev/null");
  CHECK(stopped.status == 1);
  CHECK(stopped.out.find("no such stack: " + fx.project) != std::string::npos);
}
