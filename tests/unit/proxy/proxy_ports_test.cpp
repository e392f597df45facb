#include "network/proxy_ports.hpp"

#include <catch2/catch.hpp>

#include "network/uv_udp.hpp"

using namespace stack::net;

TEST_CASE("port ranges map one to one", "[proxy]") {
  auto b = expand_ports({PortRequest{"web", "127.0.0.1", 8000, 8002, 80, 82, Protocol::Tcp},
                         PortRequest{"dns", "", 5353, 5353, 53, 53, Protocol::Udp}});
  REQUIRE(b);
  REQUIRE(b->size() == 5);
  CHECK(describe_port((*b)[0]) == "127.0.0.1:8000/tcp");
  CHECK((*b)[0].container_port == 80);
  CHECK(describe_port((*b)[2]) == "127.0.0.1:8002/tcp");
  CHECK((*b)[2].container_port == 82);
  CHECK(describe_port((*b)[3]) == "0.0.0.0:5353/udp");
  CHECK((*b)[3].service == "dns");
  CHECK_FALSE((*b)[3].optional);
  CHECK(describe_port((*b)[4]) == "[::]:5353/udp");  // no host address: IPv6 too, if the host has it
  CHECK((*b)[4].optional);
  CHECK((*b)[4].container_port == 53);
}

TEST_CASE("a missing host port means one kernel-picked port per container port", "[proxy]") {
  auto b = expand_ports({PortRequest{"web", "::1", 0, 0, 80, 81, Protocol::Tcp}});
  REQUIRE(b);
  REQUIRE(b->size() == 2);
  CHECK(describe_port((*b)[1]) == "[::1]:0/tcp");
  CHECK((*b)[1].container_port == 81);
}

TEST_CASE("invalid port requests are refused with the service named", "[proxy]") {
  auto mismatch = expand_ports({PortRequest{"web", "", 8000, 8001, 80, 82, Protocol::Tcp}});
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().message ==
        "ports of service web: host range 8000-8001 and container range 80-82 differ in length");
  CHECK_FALSE(expand_ports({PortRequest{"web", "", 8001, 8000, 80, 80, Protocol::Tcp}}));
  CHECK_FALSE(expand_ports({PortRequest{"web", "", 0, 0, 0, 0, Protocol::Tcp}}));
  auto bad_ip = expand_ports({PortRequest{"web", "localhost", 80, 80, 80, 80, Protocol::Tcp}});
  REQUIRE_FALSE(bad_ip);
  CHECK(bad_ip.error().message == "ports of service web: invalid IP address 'localhost'");
}
