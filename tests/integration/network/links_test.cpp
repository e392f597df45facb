// Bridges, veth pairs, addresses and routes against the real kernel, inside namespaces
// the test makes.
#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>

#include "network/link.hpp"
#include "network/link_route.hpp"
#include "network/teardown.hpp"
#include "tests/integration/network/lab.hpp"

using namespace lab;

namespace {

bool has_route(const std::vector<Route>& routes, const char* dst, std::optional<Ipv4> gw, const char* dev) {
  return std::any_of(routes.begin(), routes.end(),
                     [&](const Route& r) { return r.destination == C(dst) && r.gateway == gw && r.device == dev; });
}

bool is_up(Netlink& nl, const char* name) {
  auto link = ok(get_link(nl, name));
  return (rtnl_link_get_flags(link.get()) & IFF_UP) != 0;
}

}  // namespace

TEST_CASE("links: two containers on a bridge reach each other and the gateway", "[links]") {
  stack::testing::require_root();
  Host host;
  const std::string bridge = bridge_name(project("l"), "default");
  BridgeConfig bc{bridge, C("10.89.0.0/24"), A("10.89.0.1")};
  CHECK(ok(ensure_bridge(host.nl, bc)) == true);
  CHECK(ok(ensure_bridge(host.nl, bc)) == false);  // repeatable: existed
  CHECK(ok(list_addresses(host.nl, bridge)) == std::vector<Cidr>{C("10.89.0.1/24")});

  Container c1(host, "web-1", bridge, C("10.89.0.2/24"), A("10.89.0.1"));
  Container c2(host, "db-1", bridge, C("10.89.0.3/24"), A("10.89.0.1"));

  Netlink in1 = ok(Netlink::open_in(c1.ns));
  CHECK(ok(list_addresses(in1, "eth0")) == std::vector<Cidr>{C("10.89.0.2/24")});
  CHECK(is_up(in1, "eth0"));
  CHECK(is_up(in1, "lo"));
  auto routes = ok(list_routes(in1));
  CHECK(has_route(routes, "0.0.0.0/0", A("10.89.0.1"), "eth0"));
  CHECK(has_route(routes, "10.89.0.0/24", std::nullopt, "eth0"));
  // The host end is a port of the bridge, and up.
  auto host_end = ok(get_link(host.nl, c1.veth));
  CHECK(rtnl_link_get_master(host_end.get()) == rtnl_link_get_ifindex(ok(get_link(host.nl, bridge)).get()));
  CHECK(is_up(host.nl, c1.veth.c_str()));
  // The container side is not in the host netns.
  CHECK_FALSE(ok(find_link(host.nl, "eth0")));

  CHECK(ping(c1.ns, A("10.89.0.3"), 3));
  CHECK(ping(c2.ns, A("10.89.0.2"), 3));
  CHECK(ping(c1.ns, A("10.89.0.1"), 3));
  CHECK(ping(c1.ns, A("127.0.0.1"), 3));  // lo is up

  // Teardown: each delete says whether it did something; repeating is not an error.
  CHECK(ok(delete_veth(host.nl, c1.veth)) == true);
  CHECK(ok(delete_veth(host.nl, c1.veth)) == false);
  CHECK_FALSE(ok(find_link(in1, "eth0")));  // the peer went with it
  CHECK_FALSE(ping(c2.ns, A("10.89.0.2")));
  CHECK(ok(delete_bridge(host.nl, bridge)) == true);
  CHECK(ok(delete_bridge(host.nl, bridge)) == false);
  CHECK(ok(delete_veth(host.nl, c2.veth)) == true);
}

TEST_CASE("links: a second network becomes eth1; internal networks get no default route", "[links]") {
  stack::testing::require_root();
  Host host;
  const std::string front = bridge_name(project("m"), "front");
  const std::string back = bridge_name(project("m"), "back");
  ok(ensure_bridge(host.nl, {front, C("10.89.0.0/24"), A("10.89.0.1")}));
  ok(ensure_bridge(host.nl, {back, C("10.89.1.0/24"), A("10.89.1.1")}));
  Container c(host, "app-1", front, C("10.89.0.2/24"), A("10.89.0.1"), 0);
  // A second non-internal network offers a gateway too: the first default route stays.
  // It also asks for a smaller MTU (driver_opts), which both ends get.
  ok(attach_veth(host.nl, c.ns,
                 VethConfig{veth_name("app-1", back), back, "eth1", C("10.89.1.2/24"), A("10.89.1.1"), 1400}));
  Container internal_only(host, "job-1", back, C("10.89.1.3/24"), std::nullopt);

  Netlink in = ok(Netlink::open_in(c.ns));
  CHECK(ok(list_addresses(in, "eth1")) == std::vector<Cidr>{C("10.89.1.2/24")});
  CHECK(rtnl_link_get_mtu(ok(get_link(in, "eth1")).get()) == 1400);
  CHECK(rtnl_link_get_mtu(ok(get_link(host.nl, veth_name("app-1", back))).get()) == 1400);
  CHECK(rtnl_link_get_mtu(ok(get_link(in, "eth0")).get()) == 1500);
  auto routes = ok(list_routes(in));
  CHECK(has_route(routes, "0.0.0.0/0", A("10.89.0.1"), "eth0"));
  CHECK(has_route(routes, "10.89.1.0/24", std::nullopt, "eth1"));
  CHECK_FALSE(has_route(routes, "0.0.0.0/0", A("10.89.1.1"), "eth1"));
  Netlink in2 = ok(Netlink::open_in(internal_only.ns));
  for (const auto& r : ok(list_routes(in2))) CHECK(r.destination.prefix != 0);
  CHECK(ping(internal_only.ns, A("10.89.1.2"), 3));
}

TEST_CASE("links: errors name the object; a stranger's link is never deleted", "[links]") {
  stack::testing::require_root();
  Host host;
  Netns target = ok(Netns::create());
  auto missing = attach_veth(host.nl, target, VethConfig{"svnope", "sb-nope", "eth0", C("10.1.0.2/24"), std::nullopt});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message, Catch::Contains("'sb-nope'"));
  CHECK(missing.error().code == ENODEV);

  const std::string bridge = bridge_name(project("e"), "default");
  ok(ensure_bridge(host.nl, {bridge, C("10.89.0.0/24"), A("10.89.0.1")}));
  Container c(host, "x", bridge, C("10.89.0.2/24"), A("10.89.0.1"));
  // The same host end again: a clear error, and the first pair is untouched.
  auto again = attach_veth(host.nl, ok(Netns::create()), VethConfig{c.veth, bridge, "eth0", C("10.89.0.9/24"), {}});
  REQUIRE_FALSE(again);
  CHECK_THAT(again.error().message, Catch::Contains(c.veth) && Catch::Contains("left over"));
  // eth0 taken inside the target: error, and nothing is left on the host.
  const std::string other = veth_name("y", bridge);
  auto taken = attach_veth(host.nl, c.ns, VethConfig{other, bridge, "eth0", C("10.89.0.7/24"), {}});
  REQUIRE_FALSE(taken);
  CHECK_THAT(taken.error().message, Catch::Contains("'eth0' already exists"));
  CHECK_FALSE(ok(find_link(host.nl, other)));
  // Kinds are checked before deleting.
  auto wrong = delete_bridge(host.nl, c.veth);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error().message, Catch::Contains("refusing to delete"));
  CHECK(ok(find_link(host.nl, c.veth)));
  auto not_bridge = create_bridge(host.nl, c.veth);
  REQUIRE_FALSE(not_bridge);
  CHECK_THAT(not_bridge.error().message, Catch::Contains("kind 'veth'"));
}

TEST_CASE("links: move a link into a netns given by pid, rename it, bring lo up", "[links][netns]") {
  stack::testing::require_root();
  Host host;
  // A child in its own netns stands for a container; it is killed and reaped below.
  int sync[2];
  REQUIRE(::pipe2(sync, O_CLOEXEC) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    char c = ::unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
    (void)!::write(sync[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{child};
  ::close(sync[1]);
  char c = 0;
  REQUIRE(::read(sync[0], &c, 1) == 1);
  ::close(sync[0]);
  REQUIRE(c == 'y');

  Netns target = ok(Netns::of_pid(child));
  CHECK(ok(bring_up_loopback(target)) == true);
  CHECK(ok(bring_up_loopback(target)) == false);
  const std::string a = "mv" + std::to_string(::getpid()), b = "mp" + std::to_string(::getpid());
  REQUIRE(in(host.ns, "ip link add " + a + " type veth peer name " + b).status == 0);
  ok(move_link_to_netns(host.nl, b, target));
  CHECK_FALSE(ok(find_link(host.nl, b)));
  Netlink inside = ok(Netlink::open_in(target));
  ok(rename_link(inside, b, "eth0"));
  CHECK(ok(find_link(inside, "eth0")));
  CHECK_THAT(stack::testing::run("nsenter -t " + std::to_string(child) + " -n ip -o link show eth0").out,
             Catch::Contains("eth0@"));
  CHECK(ok(delete_veth(host.nl, a)) == true);
}

TEST_CASE("links: in the real host netns, names are found again and nothing is left", "[links][host]") {
  stack::testing::require_root();
  Netlink nl = ok(Netlink::open());
  const std::string bridge = bridge_name(project("h"), "default");
  const std::string veth = veth_name(project("h") + "/web-1", "default");
  REQUIRE_FALSE(ok(find_link(nl, bridge)));
  CHECK(ok(create_bridge(nl, bridge)) == true);
  CHECK(ok(create_bridge(nl, bridge)) == false);
  ok(set_link_up(nl, bridge));
  {
    Netns c = ok(Netns::create());
    // The container's address exists only inside its netns: the host's routes are untouched.
    ok(attach_veth(nl, c, VethConfig{veth, bridge, "eth0", C("198.18.7.2/24"), std::nullopt}));
    CHECK(ok(find_link(nl, veth)));
  }
  // The container's netns is gone: its veth pair went with it, so teardown finds nothing.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !ok(find_link(nl, veth));
    if (!gone) ::usleep(100 * 1000);  // netns cleanup runs in a kernel worker
  }
  CHECK(gone);
  CHECK(ok(delete_veth(nl, veth)) == false);
  CHECK(ok(delete_bridge(nl, bridge)) == true);
  CHECK(ok(delete_bridge(nl, bridge)) == false);
  CHECK(stack::testing::run("ip -o link show | grep -c 'stk" + std::to_string(::getpid()) + "\\|" + bridge + "\\|" +
                            veth + "'")
            .out == "0\n");
}

TEST_CASE("teardown: journal replays by name; already gone is false, not an error", "[teardown][host]") {
  stack::testing::require_root();
  const std::string bridge = bridge_name(project("t"), "default");
  {
    Netlink nl = ok(Netlink::open());
    REQUIRE(ok(create_bridge(nl, bridge)));
    CHECK(ok(bridge_exists(nl, bridge)));
  }
  CHECK(ok(teardown_bridge(bridge)) == true);
  CHECK(ok(teardown_bridge(bridge)) == false);
  CHECK(ok(teardown_veth(veth_name(project("t") + "/web-1", bridge))) == false);
  CHECK(ok(teardown_nat_table(nat_table_name(project("t")))) == false);
  stack::testing::TempDir dir("stack-teardown");
  CHECK(ok(teardown_address(dir.path(), bridge, "t/web-1")) == false);
  CHECK(ok(teardown_subnet(dir.path(), bridge)) == false);
  Netlink nl = ok(Netlink::open());
  CHECK_FALSE(ok(bridge_exists(nl, bridge)));
}

// StackNetworks::leave deletes a veth on the thread pool by the index it found: by then
// a container of the same name may have a new veth under the same name, which stays.
TEST_CASE("links: delete by index leaves a newer link of the same name alone", "[links]") {
  stack::testing::require_root();
  Host host;
  const std::string bridge = bridge_name(project("i"), "default");
  ok(ensure_bridge(host.nl, {bridge, C("10.89.0.0/24"), A("10.89.0.1")}));
  std::string veth;
  int old_index = 0;
  {
    Container first(host, "web-1", bridge, C("10.89.0.2/24"), A("10.89.0.1"));
    veth = first.veth;
    old_index = rtnl_link_get_ifindex(ok(get_link(host.nl, veth)).get());
    REQUIRE(old_index > 0);
    CHECK(ok(delete_link_index(host.nl, old_index, "veth '" + veth + "'")) == true);
    CHECK_FALSE(ok(find_link(host.nl, veth)));
    CHECK(ok(delete_link_index(host.nl, old_index, "veth '" + veth + "'")) == false);  // gone: no error
  }
  Container second(host, "web-1", bridge, C("10.89.0.2/24"), A("10.89.0.1"));
  REQUIRE(second.veth == veth);
  int new_index = rtnl_link_get_ifindex(ok(get_link(host.nl, veth)).get());
  CHECK(new_index != old_index);
  CHECK(ok(delete_link_index(host.nl, old_index, "veth '" + veth + "'")) == false);
  CHECK(ok(find_link(host.nl, veth)));  // the newer link stayed
  CHECK(ok(delete_link_index(host.nl, new_index, "veth '" + veth + "'")) == true);
  CHECK(ok(delete_bridge(host.nl, bridge)) == true);
}

TEST_CASE("netlink: a socket opened in a netns works there; the calling thread stays where it was",
          "[links][netns]") {
  stack::testing::require_root();
  auto self_ns = [] {
    struct stat st {};
    REQUIRE(::stat("/proc/thread-self/ns/net", &st) == 0);
    return st.st_ino;
  };
  const ino_t before = self_ns();
  Host host;  // its socket too was opened by this thread (Netlink::open_in)
  CHECK(self_ns() == before);
  const std::string name = "nl" + std::to_string(::getpid());
  REQUIRE(in(host.ns, "ip link add " + name + " type bridge").status == 0);
  CHECK(ok(find_link(host.nl, name)));
  // A socket opened now, in this thread's own netns, does not see it: the link is in
  // the lab's netns only, and so was host.nl.
  Netlink here = ok(Netlink::open());
  CHECK_FALSE(ok(find_link(here, name)));
  // A netns that cannot be entered (an fd that is not a netns) fails with the name.
  Netns bogus(stack::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), "/dev/null");
  auto bad = Netlink::open_in(bogus);
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("/dev/null") && Catch::Contains("setns"));
  CHECK(self_ns() == before);
}
