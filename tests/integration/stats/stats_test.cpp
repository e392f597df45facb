// stack stats and stack top through `stack up -d`: CPU % of a busy loop held to half a
// core, memory against mem_limit, pids, NET I/O from the host end of the veth, the
// table, JSON and streaming forms; the processes of a container. And an OOM kill seen
// through up: OOMKilled, exit code 137, a line in the log, the restart policy applied;
// and one of a child while PID 1 lives on, seen as it happens (the cgroup's OOM watch).
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "tests/integration/stats/fixture.hpp"

using stack::stats_test::StackFixture;
using stack::testing::run;

namespace {

double percent(const nlohmann::json& row, const char* key) { return std::atof(row.value(key, "").c_str()); }

// "12.3MiB / 64MiB" -> bytes of the part before (first) or after the slash.
double binary_bytes(const std::string& text) {
  double v = std::atof(text.c_str());
  if (text.find("KiB") != std::string::npos) return v * 1024;
  if (text.find("MiB") != std::string::npos) return v * 1024 * 1024;
  if (text.find("GiB") != std::string::npos) return v * 1024 * 1024 * 1024;
  return v;
}
double decimal_bytes(const std::string& text) {
  double v = std::atof(text.c_str());
  if (text.find("kB") != std::string::npos) return v * 1e3;
  if (text.find("MB") != std::string::npos) return v * 1e6;
  if (text.find("GB") != std::string::npos) return v * 1e9;
  return v;
}
std::string part(const std::string& pair, int i) {
  auto slash = pair.find(" / ");
  return i == 0 ? pair.substr(0, slash) : pair.substr(slash + 3);
}

}  // namespace

TEST_CASE("stats and top of a running stack", "[stats]") {
  StackFixture fx("st");
  fx.write(R"(  busy:
    image: busybox:st
    cpus: 0.5
    command: ["sh", "-c", "while :; do :; done"]
  mem:
    image: busybox:st
    mem_limit: 64m
    command: ["sh", "-c", "dd if=/dev/zero bs=20M count=1 | sleep 1000"]
  net:
    image: busybox:st
    command: ["sh", "-c", "ping -c 4 -s 1000 -i 0.2 busy; sleep 1000"]
)");
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // dd filled its buffer, ping is done

  auto r = run(fx.cmd("stats --no-stream --format json"), false);
  INFO(r.out);
  REQUIRE(r.status == 0);
  auto rows = StackFixture::json_lines(r.out);
  REQUIRE(rows.size() == 3);
  auto busy = StackFixture::find(rows, "Name", fx.project + "-busy-1");
  auto mem = StackFixture::find(rows, "Name", fx.project + "-mem-1");
  auto net = StackFixture::find(rows, "Name", fx.project + "-net-1");
  for (const char* key : {"BlockIO", "CPUPerc", "Container", "MemPerc", "MemUsage", "NetIO", "PIDs"}) {
    CHECK(busy.contains(key));
  }
  // Half a core: at most 50 % (plus the sampling's jitter). On a shared machine with
  // many runnable tasks the fair scheduler may give it much less, so only a floor.
  CHECK(percent(busy, "CPUPerc") > 5.0);
  CHECK(percent(busy, "CPUPerc") < 58.0);
  CHECK(percent(mem, "CPUPerc") < 10.0);
  // dd holds its 20 MiB buffer while sleep never reads the pipe.
  CHECK(part(mem["MemUsage"], 1) == "64MiB");
  CHECK(binary_bytes(part(mem["MemUsage"], 0)) >= 20.0 * 1024 * 1024);
  CHECK(percent(mem, "MemPerc") >= 31.0);
  CHECK(percent(mem, "MemPerc") < 60.0);
  CHECK(mem["PIDs"] == "3");  // sh, dd, sleep
  CHECK(busy["PIDs"] == "1");
  // Four 1028-byte ICMP payloads out and back at least.
  CHECK(decimal_bytes(part(net["NetIO"], 1)) >= 4 * 1000);
  CHECK(decimal_bytes(part(net["NetIO"], 0)) >= 4 * 1000);
  CHECK(decimal_bytes(part(busy["NetIO"], 0)) >= 4 * 1000);
  // Four echo requests out, four replies in (and the ARP and name lookups around them).
  CHECK(std::atoi(part(net["NetPackets"], 0).c_str()) >= 4);
  CHECK(std::atoi(part(net["NetPackets"], 1).c_str()) >= 4);

  // The table, one service, an unknown service.
  auto table = run(fx.cmd("stats --no-stream mem"), false);
  INFO(table.out);
  CHECK(table.status == 0);
  CHECK(table.out.rfind("NAME ", 0) == 0);
  CHECK(table.out.find("CPU %") != std::string::npos);
  CHECK(table.out.find("MEM USAGE / LIMIT") != std::string::npos);
  CHECK(table.out.find("NET I/O") != std::string::npos);
  CHECK(table.out.find(fx.project + "-mem-1 ") != std::string::npos);
  CHECK(table.out.find("busy") == std::string::npos);
  auto bad = run(fx.cmd("stats --no-stream nosuch"));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("no such service: nosuch") != std::string::npos);

  // Streaming: a refresh about once a second until interrupted.
  auto stream = run("timeout -s INT 3.6 " + fx.cmd("stats --format json busy"), false);
  auto streamed = StackFixture::json_lines(stream.out);
  CHECK(streamed.size() >= 2);
  CHECK(streamed.size() <= 4);

  // top: the container's name, ps -ef's header, its processes with host pids.
  auto sh_pid = StackFixture::find(fx.ps(), "Service", "mem").value("Pid", 0);
  auto top = run(fx.cmd("top mem"), false);
  INFO(top.out);
  CHECK(top.status == 0);
  CHECK(top.out.rfind(fx.project + "-mem-1\nUID ", 0) == 0);
  for (const char* col : {"PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"})
    CHECK(top.out.find(col) != std::string::npos);
  CHECK(top.out.find("dd if=/dev/zero bs=20M count=1") != std::string::npos);
  CHECK(top.out.find("sleep 1000") != std::string::npos);
  CHECK(top.out.find("root   " + std::to_string(sh_pid) + " ") != std::string::npos);
  auto all = run(fx.cmd("top"), false);
  CHECK(all.out.find(fx.project + "-busy-1\n") != std::string::npos);
  CHECK(all.out.find(fx.project + "-net-1\n") != std::string::npos);

  auto down = run(fx.cmd("down -t 0"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("an OOM kill through up: OOMKilled, 137, a log line, the restart policy", "[stats][oom]") {
  StackFixture fx("so");
  // dd's 100 MiB buffer is far past 32m (and the default swap allowance of 2 x memory).
  fx.write(R"(  hog:
    image: busybox:st
    mem_limit: 32m
    restart: on-failure:1
    command: ["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"]
  fails:
    image: busybox:st
    restart: on-failure:1
    command: ["sh", "-c", "exit 3"]
)");
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  auto hog = fx.wait_state("hog", "exited");
  auto fails = fx.wait_state("fails", "exited");
  INFO(hog.dump());
  CHECK(hog["State"] == "exited");
  CHECK(hog["OOMKilled"] == true);
  CHECK(hog["ExitCode"] == 137);
  CHECK(hog["RestartCount"] == 1);
  CHECK(fails["OOMKilled"] == false);
  CHECK(fails["ExitCode"] == 3);

  // stats shows running containers; --all also the exited ones, with zeros.
  CHECK(StackFixture::json_lines(run(fx.cmd("stats --no-stream --format json hog"), false).out).empty());
  auto all = StackFixture::json_lines(run(fx.cmd("stats --no-stream --all --format json hog"), false).out);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["Name"] == fx.project + "-hog-1");
  CHECK(all[0]["CPUPerc"] == "0.00%");
  CHECK(all[0]["MemUsage"] == "0B / 0B");
  CHECK(all[0]["PIDs"] == "0");

  auto logs = run(fx.cmd("logs --no-color hog"));
  INFO(logs.out);
  // One line per run: the first run and its restart were both OOM-killed.
  std::string line = "stack: container OOMKilled: killed by signal 9 (out of memory), exit code 137";
  auto first = logs.out.find(line);
  CHECK(first != std::string::npos);
  CHECK(logs.out.find(line, first + 1) != std::string::npos);

  auto down = run(fx.cmd("down -t 0"));
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("an OOM kill of a child while PID 1 runs on: an oom event, OOMKilled, a log line", "[stats][oom]") {
  StackFixture fx("sc");
  // The sleep lets `events` subscribe first; tail keeps all it reads of an endless line.
  fx.write(R"(  hog:
    image: busybox:st
    mem_limit: 32m
    command: ["sh", "-c", "sleep 2; tail /dev/zero; echo survived; sleep 1000"]
)");
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  std::string events_out = fx.tmp.path() + "/events.json";
  auto ev = run(fx.cmd("events --json") + " > " + events_out + " 2>&1 & echo $!", false);
  int events_pid = std::stoi(ev.out);
  int sh_pid = fx.pid("hog");
  REQUIRE(sh_pid > 0);

  nlohmann::json hog;
  std::string logs;
  auto t0 = std::chrono::steady_clock::now();
  while (stack::testing::since(t0) < 15) {
    hog = fx.container("hog");
    logs = run(fx.cmd("logs --no-color hog")).out;
    if (hog["OOMKilled"] == true && logs.find("survived") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO(hog.dump());
  INFO(logs);
  CHECK(hog["OOMKilled"] == true);
  CHECK(hog["State"] == "running");
  CHECK(hog["Pid"] == sh_pid);  // the same PID 1: only tail was killed
  CHECK(hog["RestartCount"] == 0);
  auto oom_line = logs.find("stack: container OOMKilled: a process was killed (out of memory)");
  CHECK(oom_line != std::string::npos);
  CHECK(logs.find("survived") != std::string::npos);
  CHECK(logs.find("exit code") == std::string::npos);  // no exit line: PID 1 did not exit

  fx.down_clean("down -t 0");
  for (int i = 0; i < 50 && stack::testing::alive(events_pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(!stack::testing::alive(events_pid));
  std::ifstream in(events_out);
  std::vector<std::string> seen;
  for (std::string line; std::getline(in, line);) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (!e.is_discarded() && e.contains("action")) seen.push_back(e["action"].get<std::string>());
  }
  INFO(nlohmann::json(seen).dump());
  // One oom while running, and the die only at down.
  auto oom = std::find(seen.begin(), seen.end(), "oom");
  auto die = std::find(seen.begin(), seen.end(), "die");
  CHECK(std::count(seen.begin(), seen.end(), "oom") == 1);
  CHECK(oom < die);
  CHECK(die != seen.end());
}
