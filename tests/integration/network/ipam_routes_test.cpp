// IPAM against routes read from a real kernel routing table (a lab netns).
#include <algorithm>
#include <chrono>
#include <memory>
#include <set>

#include "network/ipam.hpp"
#include "network/link.hpp"
#include "network/link_route.hpp"
#include "tests/integration/network/lab.hpp"

using namespace lab;

TEST_CASE("ipam: a subnet overlapping a host route is refused, naming both", "[ipam]") {
  stack::testing::require_root();
  Host host;
  REQUIRE(in(host.ns, "ip link add d0 type veth peer name d1").status == 0);
  REQUIRE(in(host.ns, "ip addr add 10.200.3.1/16 dev d0").status == 0);
  REQUIRE(in(host.ns, "ip link set d0 up").status == 0);
  REQUIRE(in(host.ns, "ip link set d1 up").status == 0);
  REQUIRE(in(host.ns, "ip route add 10.201.4.0/24 via 10.200.0.9").status == 0);

  auto routes = ok(read_host_routes(host.nl));
  auto has = [&](const char* dst, const char* dev) {
    return std::any_of(routes.begin(), routes.end(),
                       [&](const HostRoute& r) { return r.destination == C(dst) && r.device == dev; });
  };
  CHECK(has("10.200.0.0/16", "d0"));
  CHECK(has("10.201.4.0/24", "d0"));

  stack::testing::TempDir dir("stack-ipam-it");
  Ipam ipam(dir.path() + "/network", PoolConfig{C("10.200.0.0/15"), 24});
  auto refused = ipam.reserve_subnet("net-a", {C("10.200.5.0/24"), {}}, routes);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("subnet 10.200.5.0/24 of network 'net-a'") &&
                                          Catch::Contains("host route 10.200.0.0/16 dev d0"));
  auto via = ipam.reserve_subnet("net-a", {C("10.201.4.128/25"), {}}, routes);
  REQUIRE_FALSE(via);
  CHECK_THAT(via.error().message, Catch::Contains("10.201.4.0/24"));
  // From the pool: 10.200.0.0/16 and 10.201.4.0/24 are skipped.
  CHECK(ok(ipam.reserve_subnet("net-a", {}, routes)).subnet == C("10.201.0.0/24"));
  CHECK(ok(ipam.reserve_subnet("net-b", {}, routes)).subnet == C("10.201.1.0/24"));
}

TEST_CASE("ipam: a network's own bridge route does not block it after a restart", "[ipam]") {
  stack::testing::require_root();
  Host host;
  stack::testing::TempDir dir("stack-ipam-it");
  const std::string bridge = bridge_name(project("r"), "default");
  Ipv4 first{};
  {
    Ipam ipam(dir.path());
    auto lease = ok(ipam.reserve_subnet(bridge, {}, ok(read_host_routes(host.nl)), bridge));
    ok(ensure_bridge(host.nl, {bridge, lease.subnet, lease.gateway}));
    first = ok(ipam.reserve_address(bridge, "r/web-1"));
  }
  // "Restart": a new Ipam over the same state dir, the bridge and its route still there.
  Ipam again(dir.path());
  auto routes = ok(read_host_routes(host.nl));
  auto lease = ok(again.reserve_subnet(bridge, {}, routes, bridge));
  CHECK(lease.subnet == C("10.89.0.0/24"));
  CHECK(ok(again.reserve_address(bridge, "r/web-1")) == first);
  // Another network may not take it: the route of the first one's bridge counts.
  Ipam elsewhere(dir.path() + "/other-root");
  CHECK(ok(elsewhere.reserve_subnet("x", {}, routes, "sb-x")).subnet == C("10.89.1.0/24"));
  CHECK(ok(delete_bridge(host.nl, bridge)));
}

TEST_CASE("ipam + links: twenty containers get distinct ledger addresses and reach each other", "[ipam][links]") {
  stack::testing::require_root();
  Host host;
  stack::testing::TempDir dir("stack-ipam-it");
  Ipam ipam(dir.path());
  const std::string bridge = bridge_name(project("s"), "default");
  auto lease = ok(ipam.reserve_subnet(bridge, {}, ok(read_host_routes(host.nl)), bridge));
  ok(ensure_bridge(host.nl, {bridge, lease.subnet, lease.gateway}));
  std::vector<std::unique_ptr<Container>> containers;
  std::vector<Ipv4> addresses;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    std::string key = project("s") + "/web-" + std::to_string(i + 1);
    Ipv4 a = ok(ipam.reserve_address(bridge, key));
    addresses.push_back(a);
    containers.push_back(std::make_unique<Container>(host, key, bridge, Cidr{a, lease.subnet.prefix}, lease.gateway));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  WARN("20 containers reserved and attached in " << ms << " ms");
  CHECK(std::set<Ipv4>(addresses.begin(), addresses.end()).size() == 20);
  CHECK(ping(containers.front()->ns, addresses.back(), 3));
  CHECK(ping(containers.back()->ns, addresses.front(), 3));
  // Teardown in reverse through the ledger and the links; everything answers "gone" after.
  for (int i = 19; i >= 0; --i) {
    CHECK(ok(delete_veth(host.nl, containers[i]->veth)));
    CHECK(ok(ipam.release_address(bridge, project("s") + "/web-" + std::to_string(i + 1))));
  }
  CHECK(ok(delete_bridge(host.nl, bridge)));
  CHECK(ok(ipam.release_subnet(bridge)));
  auto st = ok(ipam.read());
  CHECK(st.subnets.empty());
  CHECK(st.addresses.empty());
}
