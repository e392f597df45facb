#pragma once
// A lab for the bandwidth tests: a fresh "host" netns with a bridge, and "container"
// netns attached to it with attach_veth, exactly as `up` wires a container. Every netns
// is anonymous (held by fds only): closing them destroys every link, qdisc and ifb
// inside, and no packet ever leaves them. TCP transfers use sockets created inside the
// namespaces (a socket stays in the netns it was made in), driven from our threads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "network/link_bridge.hpp"
#include "network/link_veth.hpp"
#include "network/names.hpp"
#include "network/netlink.hpp"
#include "network/netns.hpp"
#include "tests/support/testing.hpp"

namespace bwlab {

using namespace stack::net;
using stack::UniqueFd;

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

// Unique per test process, so parallel runs never share a name.
inline std::string key(const std::string& tag) { return "bw" + std::to_string(::getpid()) + "/" + tag; }

struct Host {
  Netns ns = ok(Netns::create());
  Netlink nl = ok(Netlink::open_in(ns));
  std::string bridge = bridge_name(key("project"), "default");

  Host() { ok(ensure_bridge(nl, BridgeConfig{bridge, C("10.77.0.0/24"), A("10.77.0.1")})); }
};

struct Container {
  Netns ns = ok(Netns::create());
  std::string veth;
  Ipv4 ip;

  Container(Host& host, const std::string& tag, const char* address) : ip(A(address)) {
    veth = veth_name(key(tag), host.bridge);
    ok(attach_veth(host.nl, ns, VethConfig{veth, host.bridge, "eth0", Cidr{ip, 24}, A("10.77.0.1")}));
  }
};

// A TCP socket made inside `ns`.
inline UniqueFd socket_in(const Netns& ns) {
  UniqueFd fd;
  ok(run_in_netns(ns, [&]() -> stack::Result<void> {
    fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return stack::fail_errno("socket");
    return {};
  }));
  return fd;
}

inline sockaddr_in address_of(Ipv4 ip, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(ip.value);
  return sa;
}

// Sends `bytes` over TCP from a socket in `from` to a listener in `to` at `to_ip`, and
// returns the seconds from the connection's establishment until the receiver has read
// the last byte (EOF). A receive timeout ends a transfer that stalls.
inline double transfer_seconds(const Netns& from, const Netns& to, Ipv4 to_ip, std::size_t bytes) {
  UniqueFd listener = socket_in(to);
  sockaddr_in sa = address_of(to_ip, 0);
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(listener.get(), 1) == 0);
  socklen_t len = sizeof sa;
  REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);

  std::size_t received = 0;
  std::chrono::steady_clock::time_point done;
  std::thread sink([&] {
    UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    timeval tv{30, 0};
    ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<char> buf(1 << 16);
    for (;;) {
      ssize_t n = ::read(conn.get(), buf.data(), buf.size());
      if (n <= 0) break;
      received += static_cast<std::size_t>(n);
    }
    done = std::chrono::steady_clock::now();
  });

  UniqueFd client = socket_in(from);
  int rc = ::connect(client.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  auto start = std::chrono::steady_clock::now();
  std::vector<char> chunk(1 << 16, 'x');
  std::size_t sent = 0;
  while (rc == 0 && sent < bytes) {
    ssize_t n = ::write(client.get(), chunk.data(), std::min(chunk.size(), bytes - sent));
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(client.get(), SHUT_WR);
  sink.join();
  REQUIRE(rc == 0);
  REQUIRE(sent == bytes);
  REQUIRE(received == bytes);
  return std::chrono::duration<double>(done - start).count();
}

// Runs one simple command inside `ns` (nsenter through our /proc/<pid>/fd/<fd>).
inline stack::testing::RunResult in(const Netns& ns, const std::string& cmd) {
  return stack::testing::run("nsenter --net=" + ns.proc_path() + " " + cmd);
}

}  // namespace bwlab
