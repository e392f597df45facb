#pragma once
// A network lab for the integration tests: a fresh "host" netns (so bridges, NAT rules
// and ip_forward never touch the real host) and "container" netns made on demand.
// Every netns here is anonymous (held by an fd only), so closing the fds tears down
// every link inside; traffic never leaves these namespaces.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

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

// Open fds of this process, one "fd -> target" line each: a test that made and dropped
// namespaces, netlink sockets and pipes must end with the ones it started with. Read
// with readdir, not a shell, so no pipe of the reading is among them.
inline std::string open_fds() {
  std::string out;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return "(cannot read /proc/self/fd)";
  const int own = ::dirfd(d);
  std::vector<int> fds;
  while (auto* e = ::readdir(d))
    if (e->d_name[0] != '.' && std::atoi(e->d_name) != own) fds.push_back(std::atoi(e->d_name));
  ::closedir(d);
  std::sort(fds.begin(), fds.end());
  for (int fd : fds) {
    char target[256] = {};
    std::string link = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
    out += std::to_string(fd) + " -> " + (n > 0 ? std::string(target, static_cast<size_t>(n)) : "?") + "\n";
  }
  return out;
}

// open_fds() once it equals `before`, or as it is after 2 s (a leak stays; an fd some
// library closes a moment later does not fail the test).
inline std::string open_fds_settled(const std::string& before) {
  std::string now = open_fds();
  for (int i = 0; i < 40 && now != before; ++i) {
    ::usleep(50000);
    now = open_fds();
  }
  return now;
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
