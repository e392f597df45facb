#pragma once
// `stack up -d` with networks, through the built binary: several projects on the shared
// fixture's temporary roots (tests/support/stack_fixture.hpp), the IPAM ledger's leases,
// and a leak check that also looks for every link the ledger named while up.
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
#include "tests/support/stack_fixture.hpp"

namespace netup {

using stack::testing::run;

inline bool link_exists(const std::string& name) { return run("ip link show dev " + name + " >/dev/null 2>&1").status == 0; }

// The stacks of one test on shared temporary roots (stack_fixture.hpp), by project.
struct Fixture {
  stack::testing::StackFixture st{"nu"};
  std::set<std::string> links;  // the bridges and veths of our stacks (track())

  // "nu<pid>" + tag: unique per run; the stack file is <tmp>/<project>.yaml.
  std::string project(const std::string& tag) { return st.add_project(tag); }
  void write(const std::string& project, const std::string& body) { st.write_file_in(project, body); }
  std::string cmd(const std::string& project, const std::string& args) const { return st.cmd_in(project, args); }

  nlohmann::json container(const std::string& project, const std::string& service) const {
    return stack::testing::find(st.ps_in(project), "Service", service);
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
    return run("awk '$1==\"address\" && $2==\"" + network + "\" && $3==\"" + container + "\" {print $4}' " +
                   st.root + "/network/ipam.state",
               false)
        .out;
  }
  std::string gateway(const std::string& network) const {
    return run("awk '$1==\"subnet\" && $2==\"" + network + "\" {print $4}' " + st.root + "/network/ipam.state", false)
        .out;
  }

  // Notes the links of our projects' leases (lines "subnet NET CIDR GW" and "address
  // NET CONTAINER IP" of the ledger) while they are up: each network's bridge, each
  // container's veth per network (gone already if the container exited). Returns how
  // many links it knows of.
  std::size_t track() {
    std::ifstream in(st.root + "/network/ipam.state");
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string kind, net, who;
      words >> kind >> net >> who;
      if (kind == "subnet") links.insert(stack::net::bridge_name(net));
      if (kind == "address") links.insert(stack::net::veth_name(who, net));
    }
    return links.size();
  }

  // The shared leak check, and the links track() saw.
  std::string leftovers() const {
    std::string out = st.leftovers();
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
