// Outbound masquerade and isolation between stacks through nftables, inside a lab
// "host" netns: the real host's ruleset and ip_forward are never touched.
#include "network/nat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "network/link.hpp"
#include "network/link_route.hpp"
#include "network/nat_nft.hpp"
#include "tests/integration/network/lab.hpp"

using namespace lab;

namespace {

std::string host_ip_forward() { return stack::testing::run("cat /proc/sys/net/ipv4/ip_forward").out; }

// A new netns copies ip_forward from the initial one (net.core.devconf_inherit_init_net
// = 0, the default), and a host that ran a stack or docker has it on: start the lab host
// from off, as a fresh machine's is.
struct ForwardOffHost : Host {
  ForwardOffHost() {
    ok(run_in_netns(ns, []() -> stack::Result<void> {
      stack::UniqueFd fd(::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC));
      if (!fd || ::write(fd.get(), "0\n", 2) != 2) return stack::fail_errno("writing ip_forward in the lab netns");
      return {};
    }));
  }
};

// An "outside" network: a plain bridge (not a stack bridge) in the lab host with a
// peer netns that has no route back to the stacks' subnets, so only masqueraded
// traffic can be answered.
struct Outside {
  std::string bridge;
  Netns ns = ok(Netns::create());
  Outside(Host& host) : bridge("xo" + std::to_string(::getpid())) {
    ok(create_bridge(host.nl, bridge));
    ok(add_address(host.nl, bridge, C("198.18.0.1/24")));
    ok(set_link_up(host.nl, bridge));
    ok(attach_veth(host.nl, ns, VethConfig{"xv" + std::to_string(::getpid()), bridge, "eth0", C("198.18.0.2/24"), {}}));
  }
};

}  // namespace

TEST_CASE("nat: ip_forward is per netns, set once and reported", "[nat]") {
  stack::testing::require_root();
  const std::string before = host_ip_forward();
  ForwardOffHost host;
  CHECK(ok(ip_forward_enabled(&host.ns)) == false);
  CHECK(ok(enable_ip_forward(&host.ns)) == true);
  CHECK(ok(enable_ip_forward(&host.ns)) == false);
  CHECK(ok(ip_forward_enabled(&host.ns)) == true);
  CHECK(host_ip_forward() == before);
}

TEST_CASE("nat: masquerade out, isolation between stacks, table removed with the stack", "[nat]") {
  stack::testing::require_root();
  if (!find_nft()) FAIL("nft is not installed (scripts/install-deps installs nftables)");
  const std::string fds_before = open_fds();
  {
    ForwardOffHost host;
    REQUIRE(ok(enable_ip_forward(&host.ns)));
    Outside outside(host);
    const std::string pa = project("a"), pb = project("b");
    NatNetwork na{bridge_name(pa, "default"), C("10.89.0.0/24"), A("10.89.0.1"), false};
    NatNetwork nb{bridge_name(pb, "default"), C("10.89.1.0/24"), A("10.89.1.1"), false};
    ok(ensure_bridge(host.nl, {na.bridge, na.subnet, na.gateway}));
    ok(ensure_bridge(host.nl, {nb.bridge, nb.subnet, nb.gateway}));
    Container a1(host, pa + "/web-1", na.bridge, C("10.89.0.2/24"), na.gateway);
    Container a2(host, pa + "/db-1", na.bridge, C("10.89.0.3/24"), na.gateway);
    Container b1(host, pb + "/web-1", nb.bridge, C("10.89.1.2/24"), nb.gateway);

    // Without rules: no way back from outside, and the stacks see each other.
    CHECK_FALSE(ping(a1.ns, A("198.18.0.2")));
    CHECK(ping(a1.ns, A("10.89.1.2"), 3));
    CHECK(ping(a1.ns, nb.gateway, 3));

    NatConfig ta{nat_table_name(pa), {na}}, tb{nat_table_name(pb), {nb}};
    auto ra = ok(apply_nat(ta, &host.ns));
    INFO(ra.warning);
    REQUIRE(ra.applied);
    REQUIRE(ok(apply_nat(tb, &host.ns)).applied);
    REQUIRE(ok(apply_nat(tb, &host.ns)).applied);  // replacing the table is repeatable
    CHECK(ok(nat_table_exists(ta.table, &host.ns)));
    CHECK_FALSE(ok(nat_table_exists(ta.table)));  // the real host's ruleset is untouched

    CHECK(ping(a1.ns, A("198.18.0.2"), 3));  // masqueraded as 198.18.0.1
    CHECK(ping(b1.ns, A("198.18.0.2"), 3));
    CHECK_FALSE(ping(a1.ns, A("10.89.1.2")));  // the other stack's container
    CHECK_FALSE(ping(a1.ns, nb.gateway));      // the other stack's bridge
    CHECK_FALSE(ping(b1.ns, A("10.89.0.2")));
    CHECK_FALSE(ping(b1.ns, na.gateway));
    CHECK(ping(a1.ns, A("10.89.0.3"), 3));  // its own stack still works
    CHECK(ping(a1.ns, na.gateway, 3));
    CHECK(ping(a2.ns, A("10.89.0.2"), 3));

    CHECK(ok(delete_nat_table(ta.table, &host.ns)) == true);
    CHECK(ok(delete_nat_table(ta.table, &host.ns)) == false);
    CHECK_FALSE(ok(nat_table_exists(ta.table, &host.ns)));
    CHECK_FALSE(ping(a1.ns, A("198.18.0.2")));  // no more masquerade for stack a
    CHECK(ok(delete_nat_table(tb.table, &host.ns)) == true);
    CHECK(ping(a1.ns, A("10.89.1.2"), 3));  // isolation went with the tables
  }
  // Every netns of the lab was an fd of ours: none is left open, so none is left.
  CHECK(open_fds_settled(fds_before) == fds_before);
}

TEST_CASE("nat: an internal network cannot get out even with a route", "[nat]") {
  stack::testing::require_root();
  if (!find_nft()) FAIL("nft is not installed (scripts/install-deps installs nftables)");
  ForwardOffHost host;
  REQUIRE(ok(enable_ip_forward(&host.ns)));
  Outside outside(host);
  const std::string p = project("i");
  NatNetwork pub{bridge_name(p, "default"), C("10.89.0.0/24"), A("10.89.0.1"), false};
  NatNetwork internal{bridge_name(p, "back"), C("10.89.1.0/24"), A("10.89.1.1"), true};
  ok(ensure_bridge(host.nl, {pub.bridge, pub.subnet, pub.gateway}));
  ok(ensure_bridge(host.nl, {internal.bridge, internal.subnet, internal.gateway}));
  Container web(host, p + "/web-1", pub.bridge, C("10.89.0.2/24"), pub.gateway);
  Container job(host, p + "/job-1", internal.bridge, C("10.89.1.2/24"), std::nullopt);
  // Give it a route by hand, as a process with NET_ADMIN could: the rules must still hold.
  REQUIRE(in(job.ns, "ip route add default via 10.89.1.1").status == 0);
  NatConfig t{nat_table_name(p), {pub, internal}};
  REQUIRE(ok(apply_nat(t, &host.ns)).applied);
  CHECK(ping(web.ns, A("198.18.0.2"), 3));
  CHECK_FALSE(ping(job.ns, A("198.18.0.2")));
  CHECK_FALSE(ping(job.ns, A("10.89.0.2")));  // nor to the stack's other network
  CHECK(ping(job.ns, internal.gateway, 3));   // its gateway (the name server) answers
  CHECK(ok(delete_nat_table(t.table, &host.ns)) == true);
}

TEST_CASE("nat: without a working nft the outcome is a warning, not an error", "[nat]") {
  stack::testing::require_root();
  Host host;
  NatConfig c{nat_table_name(project("w")),
              {{bridge_name(project("w"), "default"), C("10.89.0.0/24"), A("10.89.0.1")}}};
  auto missing = ok(apply_nat_using("/nonexistent/nft", c, &host.ns));
  CHECK_FALSE(missing.applied);
  CHECK_THAT(missing.warning, Catch::Contains("could not run '/nonexistent/nft'") && Catch::Contains(c.table));
  auto failing = ok(apply_nat_using("/bin/false", c, &host.ns));
  CHECK_FALSE(failing.applied);
  CHECK_THAT(failing.warning, Catch::Contains("exit 1") && Catch::Contains("no outbound NAT"));
  CHECK_FALSE(ok(nat_table_exists(c.table, &host.ns)));
}
