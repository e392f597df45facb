#pragma once
// `stack up -d` with networks, through the built binary: temporary roots, a busybox
// image, unique project names, and a leak check (cgroups, mounts, state, the links and
// nftables tables that appeared with up, the IPAM ledger's leases of the project).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "network/names.hpp"
#include "tests/support/testing.hpp"

namespace netup {

using stack::testing::run;

inline bool link_exists(const std::string& name) { return run("ip link show dev " + name + " >/dev/null 2>&1").status == 0; }

struct Fixture {
  stack::testing::TempDir tmp{"stack-nu-" + std::to_string(::getpid())};
  std::string root = tmp.path() + "/root", run_root = tmp.path() + "/run";
  std::vector<std::string> projects;  // every project up'd, for down and the leak check
  std::set<std::string> links;        // the bridges and veths of our stacks (track())

  Fixture() {
    stack::testing::require_root();
    auto mk = run(stack::testing::source_dir() + "/tests/support/mkbusybox " + tmp.path() + "/layer");
    if (mk.status != 0) stack::testing::skip("mkbusybox failed: " + mk.out);
    auto imp = run(stack::testing::stack_binary() + " --root " + root + " image import busybox:nu " + tmp.path() + "/layer");
    INFO(imp.out);
    REQUIRE(imp.status == 0);
  }
  ~Fixture() {
    for (const auto& p : projects) run(cmd(p, "down -t 0") + " >/dev/null 2>&1");
    for (const auto& p : projects)
      run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + p + "*' -exec rmdir {} \\; 2>/dev/null");
  }

  // "nu<pid>" + tag: unique per run; the stack file is <tmp>/<project>.yaml.
  std::string project(const std::string& tag) const { return "nu" + std::to_string(::getpid()) + tag; }
  std::string file(const std::string& project) const { return tmp.path() + "/" + project + ".yaml"; }
  void write(const std::string& project, const std::string& body) {
    std::ofstream(file(project)) << "name: " << project << "\n" << body;
    if (std::find(projects.begin(), projects.end(), project) == projects.end()) projects.push_back(project);
  }
  std::string cmd(const std::string& project, const std::string& args) const {
    return stack::testing::stack_binary() + " --root " + root + " --run-root " + run_root + " -f " + file(project) + " " +
           args;
  }

  std::vector<nlohmann::json> ps(const std::string& project) const {
    auto r = run(cmd(project, "ps -a --format json"), false);
    std::vector<nlohmann::json> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  nlohmann::json container(const std::string& project, const std::string& service) const {
    for (const auto& c : ps(project))
      if (c.value("Service", "") == service) return c;
    return nlohmann::json::object();
  }
  // Waits (up to 20 s) until the service's first container has exited; its logs.
  std::string logs_when_exited(const std::string& project, const std::string& service) const {
    for (int i = 0; i < 200; ++i) {
      if (container(project, service).value("State", "") == "exited") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return run(cmd(project, "logs --no-log-prefix " + service)).out;
  }
  // A lease of the IPAM ledger: "address <network> <container> <ip>" -> ip; "" if none.
  std::string leased(const std::string& network, const std::string& container) const {
    return run("awk '$1==\"address\" && $2==\"" + network + "\" && $3==\"" + container + "\" {print $4}' " + root +
                   "/network/ipam.state",
               false)
        .out;
  }
  std::string gateway(const std::string& network) const {
    return run("awk '$1==\"subnet\" && $2==\"" + network + "\" {print $4}' " + root + "/network/ipam.state", false).out;
  }

  // Notes the links of our projects' leases (lines "subnet NET CIDR GW" and "address
  // NET CONTAINER IP" of the ledger) while they are up: each network's bridge, each
  // container's veth per network (gone already if the container exited). Returns how
  // many links it knows of.
  std::size_t track() {
    std::ifstream in(root + "/network/ipam.state");
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string kind, net, who;
      words >> kind >> net >> who;
      for (const auto& p : projects) {
        if (kind == "subnet" && net.rfind(p + "_", 0) == 0) links.insert(stack::net::bridge_name(net));
        if (kind == "address" && who.rfind(p + "-", 0) == 0) links.insert(stack::net::veth_name(who, net));
      }
    }
    return links.size();
  }

  std::string leftovers() const {
    std::string out;
    for (const auto& p : projects) {
      out += run("find /sys/fs/cgroup -type d -path '*/stack/" + p + "*' 2>/dev/null").out;
      out += run("ls -A " + run_root + "/stacks/" + p + " 2>&1 | grep -v 'No such file'").out;
      out += run("grep -F '" + p + "' " + root + "/network/ipam.state 2>/dev/null").out;
      out += run("nft list tables 2>/dev/null | grep -F '" + stack::net::nat_table_name(p) + "'").out;
    }
    out += run("grep -F '" + tmp.path() + "' /proc/self/mountinfo").out;
    out += run("ls -A " + root + "/containers 2>/dev/null").out;
    for (const auto& l : links)
      if (link_exists(l)) out += "link " + l + "\n";
    return out;
  }
};

// A busybox shell function: the last line of GET / from host $1 port 80, or nothing.
inline const char* kGet = "get() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \"$$1\" 80 2>/dev/null | tail -n 1; }";
// An httpd that serves `text`.
inline std::string httpd(const std::string& text) {
  return "[\"sh\", \"-c\", \"mkdir -p /www && echo " + text + " > /www/index.html && exec httpd -f -p 80 -h /www\"]";
}

}  // namespace netup
