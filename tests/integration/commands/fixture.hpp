#pragma once
// A temporary stack for the lifecycle command tests (start/stop/kill/pause/wait/events/
// ls): temp roots, a busybox image, a project name unique to this run, and a check that
// nothing of it is left (tests/integration/lifecycle/lifecycle_test.cpp's leftovers).
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/testing.hpp"

namespace cmdtest {

using stack::testing::run;

inline int counter = 0;

struct StackFixture {
  stack::testing::TempDir tmp{"stack-cmd-" + std::to_string(::getpid())};
  std::string project = "cm" + std::to_string(::getpid()) + "x" + std::to_string(++counter);
  std::string root = tmp.path() + "/root", run_root = tmp.path() + "/run";
  std::string file = tmp.path() + "/stack.yaml";

  // services: the YAML under `services:`, indented by two spaces.
  explicit StackFixture(const std::string& services) {
    stack::testing::require_root();
    auto mk = run(stack::testing::source_dir() + "/tests/support/mkbusybox " + tmp.path() + "/layer");
    if (mk.status != 0) {
      run("rm -rf " + tmp.path());
      stack::testing::skip("mkbusybox failed: " + mk.out);
    }
    auto imp = run(stack::testing::stack_binary() + " --root " + root + " image import busybox:cm " + tmp.path() + "/layer");
    INFO(imp.out);
    REQUIRE(imp.status == 0);
    std::ofstream(file) << "name: " << project << "\nservices:\n" << services;
  }
  ~StackFixture() {
    run(cmd("down -t 0") + " >/dev/null 2>&1");
    run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + project + "*' -exec rmdir {} \\; 2>/dev/null");
  }

  std::string cmd(const std::string& args) const {
    return stack::testing::stack_binary() + " --root " + root + " --run-root " + run_root + " -f " + file + " " + args;
  }
  std::string state_file() const { return run_root + "/stacks/" + project + "/state.json"; }

  std::vector<nlohmann::json> ps() const {
    auto r = run(cmd("ps -a --format json"), false);
    std::vector<nlohmann::json> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  nlohmann::json container(const std::string& service) const {
    for (const auto& c : ps())
      if (c.value("Service", "") == service) return c;
    return nlohmann::json::object();
  }
  // Polls ps until service's State is state (up to 10 s); returns the last entry.
  nlohmann::json wait_state(const std::string& service, const std::string& state) const {
    nlohmann::json c;
    for (int i = 0; i < 100; ++i) {
      c = container(service);
      if (c.value("State", "") == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return c;
  }
  std::string logs(const std::string& service) const { return run(cmd("logs --no-log-prefix " + service), false).out; }

  std::string leftovers() const {
    std::string out = run("find /sys/fs/cgroup -type d -path '*/stack/" + project + "*' 2>/dev/null").out;
    out += run("grep -F '" + tmp.path() + "' /proc/self/mountinfo").out;
    out += run("ls -A " + run_root + "/stacks/" + project + " 2>&1 | grep -v 'No such file'").out;
    out += run("ls -A " + root + "/containers 2>/dev/null", false).out;
    out += run("ls -A " + root + "/stacks/" + project + " 2>&1 | grep -v 'No such file'").out;
    out += run("ip -o link 2>/dev/null | grep -F '" + project + "'").out;
    out += run("ps -eo pid,args | grep -F '" + tmp.path() + "' | grep -v grep").out;
    return out;
  }
  // Down, then every leftover is a failure (settles briefly: the supervisor exits last).
  void down_clean() const {
    auto d = run(cmd("down -t 1"));
    INFO(d.out);
    CHECK(d.status == 0);
    std::string left = leftovers();
    for (int i = 0; i < 30 && !left.empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      left = leftovers();
    }
    CHECK(left == "");
  }
};

// Running, not a zombie.
inline bool alive(int pid) {
  if (pid <= 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return false;
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

inline int lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace cmdtest
