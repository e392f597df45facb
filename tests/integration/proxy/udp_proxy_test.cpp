// The UDP userland proxy, and reserving host ports before anything starts.
#include <catch2/catch.hpp>
#include <string>

#include "network/proxy_ports.hpp"
#include "network/proxy_udp.hpp"
#include "tests/integration/dns/uv_test_loop.hpp"

using namespace stack;
using namespace stack::net;
using namespace stack::testing;

namespace {

std::string exchange(int fd, std::uint16_t port, const std::string& msg) {
  sockaddr_in to = loopback(port);
  ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  char buf[2048];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n < 0 ? "(timeout)" : std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("UDP datagrams round-trip per client through the proxy; idle flows expire", "[proxy]") {
  TestLoop loop;
  // The "container": answers "echo:<payload>" to whoever sent it (the proxy's flow socket).
  auto backend = std::move(*UvUdp::create(loop.get()));
  sockaddr_in any = loopback(0);
  REQUIRE(backend->bind(reinterpret_cast<sockaddr*>(&any)));
  REQUIRE(backend->recv_start([&](std::span<const std::uint8_t> data, const sockaddr* from) {
    if (from == nullptr) return;
    std::string reply = "echo:" + std::string(data.begin(), data.end());
    (void)backend->send({reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()}, from);
  }));
  std::uint16_t backend_port = port_of(*backend->local_address());

  auto bindings = expand_ports({PortRequest{"dns", "127.0.0.1", 0, 0, backend_port, backend_port, Protocol::Udp}});
  REQUIRE(bindings);
  auto reserved = reserve_ports(*bindings);
  REQUIRE(reserved);
  std::uint16_t port = port_of((*reserved)[0].binding.host);
  auto proxy = UdpProxy::start(loop.get(), std::move((*reserved)[0].fd), *make_sockaddr("127.0.0.1", backend_port),
                               UdpProxy::Options{300, 16});
  REQUIRE(proxy);

  auto replies = loop.run_with([port] {
    UniqueFd a = client_socket(SOCK_DGRAM, 3000);
    UniqueFd b = client_socket(SOCK_DGRAM, 3000);
    return std::vector<std::string>{exchange(a.get(), port, "one"), exchange(b.get(), port, "two"),
                                    exchange(a.get(), port, "three")};
  });
  CHECK(replies == std::vector<std::string>{"echo:one", "echo:two", "echo:three"});
  CHECK((*proxy)->flows() == 2);
  CHECK(loop.run_until([&] { return (*proxy)->flows() == 0; }, std::chrono::seconds(5)));
  proxy->reset();
  backend.reset();
}

TEST_CASE("a host port already in use is an error naming the service and the port", "[proxy]") {
  TestLoop loop;  // only for the fd accounting
  for (Protocol proto : {Protocol::Tcp, Protocol::Udp}) {
    bool tcp = proto == Protocol::Tcp;
    UniqueFd taken = client_socket(tcp ? SOCK_STREAM : SOCK_DGRAM);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    REQUIRE(::bind(taken.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (tcp) REQUIRE(::listen(taken.get(), 1) == 0);
    REQUIRE(::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
    std::uint16_t busy = ntohs(a.sin_port);

    // The first binding is free, the second is taken: nothing stays bound.
    auto bindings = expand_ports({PortRequest{"db", "127.0.0.1", 0, 0, 5432, 5432, proto},
                                  PortRequest{"web", "127.0.0.1", busy, busy, 80, 80, proto}});
    REQUIRE(bindings);
    int fds = count_fds();
    auto r = reserve_ports(*bindings);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == EADDRINUSE);
    CHECK(r.error().message ==
          "port 127.0.0.1:" + std::to_string(busy) + (tcp ? "/tcp" : "/udp") + " for service web is already in use");
    CHECK(count_fds() == fds);
  }
  // Two services asking for the same host port collide too.
  auto twice = expand_ports({PortRequest{"a", "127.0.0.1", 0, 0, 1, 1, Protocol::Tcp}});
  auto first = reserve_ports(*twice);
  REQUIRE(first);
  std::uint16_t p = port_of((*first)[0].binding.host);
  auto again = reserve_ports(*expand_ports({PortRequest{"b", "127.0.0.1", p, p, 1, 1, Protocol::Tcp}}));
  REQUIRE_FALSE(again);
  CHECK(again.error().message.find("for service b is already in use") != std::string::npos);
  auto nowhere = reserve_ports(*expand_ports({PortRequest{"c", "192.0.2.77", 8080, 8080, 1, 1, Protocol::Tcp}}));
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().message == "port 192.0.2.77:8080/tcp for service c: the host has no such address");
}
