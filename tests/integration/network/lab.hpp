#pragma once
// A network lab for the integration tests: a fresh "host" netns (so bridges, NAT rules
// and ip_forward never touch the real host) and "container" netns made on demand.
// Every netns here is anonymous (held by an fd only), so closing the fds tears down
// every link inside; traffic never leaves these namespaces.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "network/link_bridge.hpp"
#include "network/link_veth.hpp"
#include "network/names.hpp"
#include "network/netlink.hpp"
#include "network/netns.hpp"
#include "tests/support/testing.hpp"

namespace lab {

using namespace stack::net;

template <typename T>
T ok(stack::Result<T> r) {
  if (!r) FAIL(r.error().message);
  return std::move(*r);
}
inline void ok(stack::Result<void> r) {
  if (!r) FAIL(r.error().message);
}

inline Cidr C(const char* s) { return *parse_cidr(s); }
inline Ipv4 A(const char* s) { return *parse_ipv4(s); }

// A unique project name per test process, so parallel runs never share a name.
inline std::string project(const std::string& tag) { return "stk" + std::to_string(::getpid()) + tag; }

// A shell command run inside `ns` (nsenter through our own /proc/<pid>/fd/<fd>).
// One simple command only: a shell operator would run the rest in the real host netns.
inline stack::testing::RunResult in(const Netns& ns, const std::string& cmd) {
  if (cmd.find_first_of("&;|`$<>()") != std::string::npos) FAIL("lab::in takes one simple command: " << cmd);
  return stack::testing::run("nsenter --net=" + ns.proc_path() + " " + cmd);
}

// One ICMP echo; true if answered.
inline bool ping(const Netns& from, Ipv4 to, int wait_s = 1) {
  return in(from, "busybox ping -c 1 -W " + std::to_string(wait_s) + " " + format(to)).status == 0;
}

// Open fds of this process: a test that made and dropped namespaces, netlink sockets and
// pipes must end with as many as it started with.
inline int fd_count() {
  auto r = stack::testing::run("ls /proc/" + std::to_string(::getpid()) + "/fd", false);
  return static_cast<int>(std::count(r.out.begin(), r.out.end(), '\n'));
}

struct Host {
  Netns ns = ok(Netns::create());
  Netlink nl = ok(Netlink::open_in(ns));
};

// A container netns attached to `bridge` as eth<index>.
struct Container {
  Netns ns = ok(Netns::create());
  std::string veth;

  Container(Host& host, const std::string& key, const std::string& bridge, Cidr address, std::optional<Ipv4> gateway,
            unsigned index = 0) {
    veth = veth_name(key, bridge);
    ok(attach_veth(host.nl, ns, VethConfig{veth, bridge, container_ifname(index), address, gateway}));
  }
};

}  // namespace lab
