#pragma once
// A stack of busybox services brought up with `stack up -d` in temporary roots, a
// project name unique to this run, and a check that nothing of it is left after down
// (cgroups, mounts, state, links, IPAM leases), as tests/integration/lifecycle does.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "network/names.hpp"
#include "tests/support/testing.hpp"

namespace stack::stats_test {

using stack::testing::run;

struct StackFixture {
  stack::testing::TempDir tmp;
  std::string project;
  std::string root = tmp.path() + "/root", run_root = tmp.path() + "/run";
  std::string file = tmp.path() + "/stack.yaml";

  // services: the YAML under `services:`, indented by two spaces; image busybox:st.
  explicit StackFixture(const std::string& tag)
      : tmp("stack-" + tag + "-" + std::to_string(::getpid())), project(tag + std::to_string(::getpid()) + "x") {
    stack::testing::require_root();
    auto mk = run(stack::testing::source_dir() + "/tests/support/mkbusybox " + tmp.path() + "/layer");
    if (mk.status != 0) stack::testing::skip("mkbusybox failed: " + mk.out);
    auto imp = run(stack::testing::stack_binary() + " --root " + root + " image import busybox:st " + tmp.path() + "/layer");
    INFO(imp.out);
    REQUIRE(imp.status == 0);
  }
  ~StackFixture() {
    run(cmd("down -t 0") + " >/dev/null 2>&1");
    run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + project + "*' -exec rmdir {} \\; 2>/dev/null");
  }

  void write(const std::string& services) const {
    std::ofstream(file) << "name: " << project << "\nservices:\n" << services;
  }

  std::string cmd(const std::string& args) const {
    return stack::testing::stack_binary() + " --root " + root + " --run-root " + run_root + " -f " + file + " " + args;
  }

  static std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] == '{') out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::vector<nlohmann::json> ps() const { return json_lines(run(cmd("ps -a --format json"), false).out); }

  static nlohmann::json find(const std::vector<nlohmann::json>& list, const std::string& key, const std::string& value) {
    for (const auto& c : list)
      if (c.value(key, "") == value) return c;
    return nlohmann::json::object();
  }

  // Polls ps until the service's container is in `state` (or 20 s passed).
  nlohmann::json wait_state(const std::string& service, const std::string& state) const {
    nlohmann::json c;
    for (int i = 0; i < 200; ++i) {
      c = find(ps(), "Service", service);
      if (c.value("State", "") == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return c;
  }

  std::string leftovers() const {
    std::string out = run("find /sys/fs/cgroup -type d -path '*/stack/" + project + "*' 2>/dev/null", false).out;
    out += run("grep -F '" + tmp.path() + "/root' /proc/self/mountinfo", false).out;
    out += run("ls -A " + run_root + "/stacks/" + project + " 2>/dev/null", false).out;
    out += run("ls -A " + root + "/containers 2>/dev/null", false).out;
    out += run("ip -o link show | grep -F ': " + stack::net::bridge_name(project, "default") + ":'", false).out;
    out += run("grep -F '" + project + "' " + root + "/network/ipam.state 2>/dev/null", false).out;
    return out;
  }
};

}  // namespace stack::stats_test
