// Foreground `up` and the output flags, through the built binary: compose's padded
// `name-1  | ` prefixes, colour only on a terminal and never with NO_COLOR, a first
// Ctrl-C that stops gracefully and a second that kills what is still stopping,
// --progress quiet/plain, and ps's filters.
#include "tests/integration/commands/fixture.hpp"

using cmdtest::StackFixture;
using stack::testing::has;
using stack::testing::run;

namespace {

// stubborn's PID 1 has no TERM handler (the kernel drops the signal) and a minute of grace.
const char* const kServices = R"(  web:
    image: busybox:cm
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web-says-hi; while :; do sleep 0.1; done"]
  stubborn:
    image: busybox:cm
    command: ["sh", "-c", "echo stubborn-here; while :; do sleep 0.1; done"]
    stop_grace_period: 60s
  once:
    image: busybox:cm
    command: ["sh", "-c", "echo once-ran"]
)";

bool wait_for(const std::function<bool()>& ok, int tenths) {
  for (int i = 0; i < tenths; ++i) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

}  // namespace

TEST_CASE("progress quiet and plain, colour on a terminal unless NO_COLOR, ps filters", "[commands]") {
  StackFixture fx(kServices);
  auto bad = run(fx.cmd("--progress fancy up -d"));
  CHECK(bad.status == 2);
  CHECK(has(bad.out, "invalid --progress 'fancy'"));
  CHECK(run(fx.cmd("--progress json up -d")).status == 2);  // compose's json form is not done

  auto quiet = run(fx.cmd("--progress quiet up -d"), false);
  CHECK(quiet.status == 0);
  CHECK(quiet.out == "");
  fx.wait_state("once", "exited");
  auto plain = run(fx.cmd("--progress plain stop web"), false);
  CHECK(plain.status == 0);
  CHECK(plain.out == " \u2714 Container " + fx.project + "-web-1  Stopped\n");

  // ps: --status (validated), SERVICE..., --services, -q.
  CHECK(run(fx.cmd("ps -q --status exited"), false).out == fx.project + "-once-1\n" + fx.project + "-web-1\n");
  CHECK(run(fx.cmd("ps -q --status running"), false).out == fx.project + "-stubborn-1\n");
  CHECK(run(fx.cmd("ps -a -q web"), false).out == fx.project + "-web-1\n");
  CHECK(run(fx.cmd("ps -a --services"), false).out == "once\nstubborn\nweb\n");
  // The table's columns and the JSON keys are compose's.
  auto table = run(fx.cmd("ps -a"), false).out;
  INFO(table);
  CHECK(table.rfind("NAME", 0) == 0);
  for (const char* col : {"IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"}) CHECK(has(table, col));
  auto web = nlohmann::json::parse(run(fx.cmd("ps -a --format json web"), false).out);
  CHECK(web.value("ID", "") == fx.project + "-web-1");
  CHECK(!web.value("Image", "").empty());
  CHECK(web.value("Command", "").front() == '"');
  CHECK(has(web.value("RunningFor", ""), " ago"));
  CHECK(web.contains("CreatedAt"));
  CHECK(web.contains("Ports"));
  auto wrong = run(fx.cmd("ps --status sleeping"));
  CHECK(wrong.status == 1);
  CHECK(has(wrong.out, "invalid --status 'sleeping'"));
  auto unknown = run(fx.cmd("ps nosuch"));
  CHECK(unknown.status == 1);
  CHECK(has(unknown.out, "no such service: nosuch"));
  REQUIRE(run(fx.cmd("start web")).status == 0);

  // Colour only on a terminal (script gives one), never with NO_COLOR or --no-color.
  auto on_tty = [&](const std::string& env, const std::string& args) {
    return run("sleep 1 | " + env + " script -qec '" + fx.cmd(args) + "' /dev/null", false).out;
  };
  std::string coloured = on_tty("", "logs web");
  INFO(coloured);
  CHECK(has(coloured, "web-says-hi"));
  CHECK(has(coloured, "\033["));
  CHECK(!has(on_tty("NO_COLOR=1", "logs web"), "\033["));
  CHECK(!has(on_tty("", "logs --no-color web"), "\033["));
  CHECK(!has(run(fx.cmd("logs web"), false).out, "\033["));  // a pipe
  fx.down_clean("down -t 0");
}

TEST_CASE("foreground up: compose's prefixes; Ctrl-C stops gracefully, a second Ctrl-C kills", "[commands]") {
  StackFixture fx(kServices);
  std::string out = fx.tmp.path() + "/fg.out";
  // The shell's background job ignores SIGINT (POSIX); setsid gives up its own signals.
  int pid = std::stoi(run("setsid " + fx.cmd("up") + " > " + out + " 2>&1 < /dev/null & echo $!", false).out);
  auto text = [&] { return run("cat " + out, false).out; };
  // Padded to the longest name plus one, then " | " (compose's log prefix).
  bool logged = wait_for([&] {
    std::string t = text();
    return has(t, "\nweb-1       | web-says-hi\n") && has(t, "\nstubborn-1  | stubborn-here\n") &&
           has(t, "\nonce-1      | once-ran\n");
  }, 150);
  INFO(text());
  REQUIRE(logged);
  CHECK(!has(text(), "\033["));  // not a terminal
  int stubborn = fx.wait_state("stubborn", "running")["Pid"].get<int>();
  int web = fx.container("web")["Pid"].get<int>();

  REQUIRE(::kill(pid, SIGINT) == 0);
  CHECK(wait_for([&] { return has(text(), "Gracefully stopping... (press Ctrl+C again to force)\n"); }, 50));
  CHECK(wait_for([&] { return !cmdtest::alive(web); }, 50));  // web heeds its TERM at once
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(cmdtest::alive(stubborn));  // its grace period runs
  CHECK(cmdtest::alive(pid));

  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(::kill(pid, SIGINT) == 0);
  CHECK(wait_for([&] { return !cmdtest::alive(pid); }, 100));
  CHECK(stack::testing::since(t0) < 8.0);  // not the 60 s grace
  CHECK(!cmdtest::alive(stubborn));
  CHECK(has(text(), "Killing...\n"));
  CHECK(run(fx.cmd("ps")).status == 1);  // the stack is gone
  CHECK(fx.leftovers() == "");
}
