#pragma once
// `stack up -d` with networks, through the built binary: several projects on the shared
// fixture's temporary roots (tests/support/stack_fixture.hpp), the IPAM ledger's leases,
// and a leak check that also looks for every link the ledger named while up and every
// link the stack files written could make (their hashed names, stack_links.hpp).
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
#include "tests/support/stack_links.hpp"

namespace netup {

using stack::testing::run;

inline bool link_exists(const std::string& name) { return run("ip link show dev " + name + " >/dev/null 2>&1").status == 0; }

// The stacks of one test on shared temporary roots (stack_fixture.hpp), by project.
struct Fixture {
  stack::testing::StackFixture st{"nu"};
  std::set<std::string> links;  // the bridges, veths and ifbs of our stacks (write(), track())

  // "nu<pid>" + tag: unique per run; the stack file is <tmp>/<project>.yaml.
  std::string project(const std::string& tag) { return st.add_project(tag); }
  void write(const std::string& project, const std::string& body) {
    st.write_file_in(project, body);
    auto names = stack::testing::possible_links(project, run(cmd(project, "config --format json"), false).out);
    links.insert(names.begin(), names.end());
  }
  std::string cmd(const std::string& project, const std::string& args) const { return st.cmd_in(project, args); }

  std::vector<nlohmann::json> ps(const std::string& project) const { return st.ps_in(project); }
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
  // many the ledger names now.
  std::size_t track() {
    std::ifstream in(st.root + "/network/ipam.state");
    std::set<std::string> leased;
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string kind, net, who;
      words >> kind >> net >> who;
      if (kind == "subnet") leased.insert(stack::net::bridge_name(net));
      if (kind == "address") leased.insert(stack::net::veth_name(who, net));
    }
    links.insert(leased.begin(), leased.end());
    return leased.size();
  }

  // The shared leak check, and the links track() saw.
  std::string leftovers() const {
    return st.leftovers() + stack::testing::existing_links(links);
  }
};

// The value of "key=value" on its own line of text; "<none>" if the key is not there.
inline std::string value_of(const std::string& text, const std::string& key) {
  auto at = text.find(key + "=");
  if (at == std::string::npos) return "<none>";
  auto end = text.find('\n', at);
  return text.substr(at + key.size() + 1, end - at - key.size() - 1);
}

// A command that idles until SIGTERM.
inline const char* kIdle = R"Y(["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])Y";

// A busybox shell function: the last line of GET / from host $1 port 80, or nothing.
inline const char* kGet = "get() { printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 \"$$1\" 80 2>/dev/null | tail -n 1; }";
// An httpd that serves `text`.
inline std::string httpd(const std::string& text) {
  return "[\"sh\", \"-c\", \"mkdir -p /www && echo " + text + " > /www/index.html && exec httpd -f -p 80 -h /www\"]";
}

}  // namespace netup
