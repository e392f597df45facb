#include "network/ipam_state.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/base/file.hpp"
#include "network/ipam.hpp"
#include "tests/support/testing.hpp"

using namespace stack::net;

static Cidr C(const char* s) { return *parse_cidr(s); }
static Ipv4 A(const char* s) { return *parse_ipv4(s); }

TEST_CASE("ipam: subnets come from the pool, one per network, stable", "[ipam]") {
  IpamState st;
  PoolConfig pool;
  auto a = reserve_subnet(st, pool, "sb-aaa", {}, {});
  auto b = reserve_subnet(st, pool, "sb-bbb", {}, {});
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->subnet == C("10.89.0.0/24"));
  CHECK(a->gateway == A("10.89.0.1"));
  CHECK(b->subnet == C("10.89.1.0/24"));
  auto again = reserve_subnet(st, pool, "sb-aaa", {}, {});
  REQUIRE(again);
  CHECK(*again == *a);
  CHECK(st.subnets.size() == 2);
}

TEST_CASE("ipam: explicit subnet and gateway", "[ipam]") {
  IpamState st;
  auto a = reserve_subnet(st, {}, "n1", {C("172.30.5.0/24"), A("172.30.5.254")}, {});
  REQUIRE(a);
  CHECK(a->gateway == A("172.30.5.254"));
  auto clash = reserve_subnet(st, {}, "n2", {C("172.30.0.0/16"), {}}, {});
  REQUIRE_FALSE(clash);
  CHECK_THAT(clash.error().message, Catch::Contains("172.30.0.0/16") && Catch::Contains("'n2'") &&
                                        Catch::Contains("172.30.5.0/24") && Catch::Contains("'n1'"));
  CHECK_FALSE(reserve_subnet(st, {}, "n3", {C("172.31.0.0/24"), A("172.31.1.1")}, {}));  // gateway outside
  CHECK_FALSE(reserve_subnet(st, {}, "n3", {C("172.31.0.0/24"), A("172.31.0.0")}, {}));  // network address
  CHECK_FALSE(reserve_subnet(st, {}, "n3", {{}, A("172.31.0.1")}, {}));                  // gateway alone
  auto changed = reserve_subnet(st, {}, "n1", {C("172.30.6.0/24"), {}}, {});
  REQUIRE_FALSE(changed);
  CHECK_THAT(changed.error().message, Catch::Contains("already holds subnet 172.30.5.0/24"));
}

TEST_CASE("ipam: host routes are refused, naming both", "[ipam]") {
  IpamState st;
  std::vector<HostRoute> routes{{C("0.0.0.0/0"), "eth0"},
                                {C("10.89.0.0/24"), "eth1"},
                                {C("10.89.2.0/23"), "wg0"},
                                {C("10.89.1.0/24"), "sb-mine"}};
  auto r = reserve_subnet(st, {}, "x", {C("10.89.3.0/24"), {}}, routes);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message,
             Catch::Contains("subnet 10.89.3.0/24") && Catch::Contains("host route 10.89.2.0/23 dev wg0"));
  // The pool skips them; the default route and the network's own bridge do not count.
  auto p = reserve_subnet(st, {}, "sb-mine", {}, routes, "sb-mine");
  REQUIRE(p);
  CHECK(p->subnet == C("10.89.1.0/24"));
  auto q = reserve_subnet(st, {}, "other", {}, routes, "sb-other");
  REQUIRE(q);
  CHECK(q->subnet == C("10.89.4.0/24"));
}

TEST_CASE("ipam: pool exhaustion is a clear error", "[ipam]") {
  IpamState st;
  PoolConfig pool{C("192.168.50.0/23"), 24};
  REQUIRE(reserve_subnet(st, pool, "a", {}, {}));
  REQUIRE(reserve_subnet(st, pool, "b", {}, {}));
  auto c = reserve_subnet(st, pool, "c", {}, {});
  REQUIRE_FALSE(c);
  CHECK_THAT(c.error().message, Catch::Contains("192.168.50.0/23") && Catch::Contains("no free /24"));
  CHECK(release_subnet(st, "a"));
  CHECK_FALSE(release_subnet(st, "a"));
  CHECK(reserve_subnet(st, pool, "c", {}, {})->subnet == C("192.168.50.0/24"));
}

TEST_CASE("ipam: a pool that cannot be cut as asked is refused", "[ipam]") {
  IpamState st;
  auto wide = reserve_subnet(st, PoolConfig{C("10.89.0.0/16"), 8}, "a", {}, {});
  REQUIRE_FALSE(wide);
  CHECK_THAT(wide.error().message, Catch::Contains("cannot be cut into /8"));
  CHECK_FALSE(reserve_subnet(st, PoolConfig{C("10.89.0.0/16"), 31}, "a", {}, {}));
  CHECK(reserve_subnet(st, PoolConfig{C("10.89.0.0/16"), 16}, "a", {}, {})->subnet == C("10.89.0.0/16"));
}

TEST_CASE("ipam: addresses are kept, wanted ones honoured, holders named", "[ipam]") {
  IpamState st;
  REQUIRE(reserve_subnet(st, {}, "net", {C("10.10.0.0/29"), {}}, {}));  // hosts .1-.6, gateway .1
  CHECK(*reserve_address(st, "net", "web-1") == A("10.10.0.2"));
  CHECK(*reserve_address(st, "net", "web-2") == A("10.10.0.3"));
  CHECK(*reserve_address(st, "net", "web-1") == A("10.10.0.2"));  // a restart keeps it
  CHECK(*reserve_address(st, "net", "db", A("10.10.0.6")) == A("10.10.0.6"));
  auto taken = reserve_address(st, "net", "cache", A("10.10.0.3"));
  REQUIRE_FALSE(taken);
  CHECK_THAT(taken.error().message, Catch::Contains("already held by 'web-2'"));
  CHECK_THAT(reserve_address(st, "net", "x", A("10.10.0.1")).error().message, Catch::Contains("gateway"));
  CHECK_FALSE(reserve_address(st, "net", "x", A("10.10.0.7")));  // broadcast
  CHECK_FALSE(reserve_address(st, "net", "x", A("10.10.1.2")));  // outside
  CHECK_FALSE(reserve_address(st, "nope", "x"));
  CHECK(*reserve_address(st, "net", "a") == A("10.10.0.4"));
  CHECK(*reserve_address(st, "net", "b") == A("10.10.0.5"));
  auto full = reserve_address(st, "net", "c");
  REQUIRE_FALSE(full);
  CHECK_THAT(full.error().message, Catch::Contains("no free address"));
  CHECK(release_address(st, "net", "web-2"));
  CHECK_FALSE(release_address(st, "net", "web-2"));
  CHECK(*reserve_address(st, "net", "c") == A("10.10.0.3"));
  // ipv4_address changed: the old address is given up for the new one.
  REQUIRE(release_address(st, "net", "a"));
  CHECK(*reserve_address(st, "net", "db", A("10.10.0.4")) == A("10.10.0.4"));
  CHECK(*reserve_address(st, "net", "e") == A("10.10.0.6"));  // db's old address is free again
  CHECK(release_subnet(st, "net"));
  CHECK(st.addresses.empty());
}

TEST_CASE("ipam: state text round trip and errors", "[ipam]") {
  IpamState st;
  REQUIRE(reserve_subnet(st, {}, "sb-1", {}, {}));
  REQUIRE(reserve_address(st, "sb-1", "proj/web-1"));
  auto text = format_ipam_state(st);
  CHECK(text == "stack-ipam 1\nsubnet sb-1 10.89.0.0/24 10.89.0.1\naddress sb-1 proj/web-1 10.89.0.2\n");
  auto back = parse_ipam_state(text);
  REQUIRE(back);
  CHECK(*back == st);
  CHECK_FALSE(parse_ipam_state("stack-ipam 2\n"));
  auto bad = parse_ipam_state("stack-ipam 1\nsubnet a 10.0.0.1/24 10.0.0.1\n");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("line 2"));
  CHECK_FALSE(parse_ipam_state("stack-ipam 1\nfrobnicate\n"));
  // The boot that wrote it is a line after the header (adopt_boot).
  st.boot = "boot-b";
  CHECK(format_ipam_state(st).rfind("stack-ipam 1\nboot boot-b\nsubnet sb-1 ", 0) == 0);
  CHECK(*parse_ipam_state(format_ipam_state(st)) == st);
  CHECK_FALSE(parse_ipam_state("stack-ipam 1\nboot\n"));
  CHECK_FALSE(reserve_subnet(st, {}, "has space", {}, {}));
  CHECK_FALSE(reserve_address(st, "sb-1", "has space"));
}

TEST_CASE("ipam: a ledger another boot wrote is emptied; one that names no boot is kept", "[ipam]") {
  IpamState st;
  REQUIRE(reserve_subnet(st, {}, "sb-1", {}, {}));
  REQUIRE(reserve_address(st, "sb-1", "proj/web-1"));
  IpamState unnamed = st;
  CHECK_FALSE(adopt_boot(unnamed, "boot-b"));  // no boot named: its leases may be this boot's
  CHECK(unnamed.boot == "boot-b");
  CHECK(unnamed.subnets.size() == 1);
  CHECK(unnamed.addresses.size() == 1);
  IpamState same = unnamed;
  CHECK_FALSE(adopt_boot(same, "boot-b"));
  CHECK(same == unnamed);
  IpamState rebooted = unnamed;
  CHECK(adopt_boot(rebooted, "boot-c"));
  CHECK(rebooted.boot == "boot-c");
  CHECK(rebooted.subnets.empty());
  CHECK(rebooted.addresses.empty());
  IpamState empty{"boot-a", {}, {}};
  CHECK_FALSE(adopt_boot(empty, "boot-c"));  // nothing to drop
  CHECK(empty.boot == "boot-c");
}

TEST_CASE("ipam: leases from before a reboot are gone at the next lease, not while this boot's are kept", "[ipam]") {
  stack::testing::TempDir dir("stack-ipam");
  std::string state_dir = dir.path() + "/network";
  REQUIRE(::mkdir(state_dir.c_str(), 0700) == 0);
  auto boot = stack::read_file("/proc/sys/kernel/random/boot_id");
  REQUIRE(boot);
  std::string now = boot->substr(0, boot->find('\n'));
  auto ledger = [&](const std::string& boot_line) {
    REQUIRE(stack::write_file_atomic(state_dir + "/ipam.state",
                                     "stack-ipam 1\n" + boot_line +
                                         "subnet sb-old 10.89.0.0/24 10.89.0.1\naddress sb-old old/web-1 10.89.0.2\n",
                                     0600));
  };
  // Another boot's ledger: its subnet is free again, its network's ipam.config can change.
  ledger("boot 00000000-0000-4000-8000-000000000000\n");
  Ipam ipam(state_dir);
  CHECK(ipam.reserve_subnet("sb-new", {}, {})->subnet == C("10.89.0.0/24"));
  CHECK(ipam.reserve_subnet("sb-old", {C("10.77.0.0/24"), std::nullopt}, {})->subnet == C("10.77.0.0/24"));
  auto st = ipam.read();
  REQUIRE(st);
  CHECK(st->boot == now);
  CHECK(st->subnets.size() == 2);
  CHECK(st->addresses.empty());
  // This boot's ledger, or one that names no boot: every lease stays.
  for (const std::string& line : {"boot " + now + "\n", std::string()}) {
    ledger(line);
    CHECK(ipam.reserve_subnet("sb-new", {}, {})->subnet == C("10.89.1.0/24"));
    auto kept = ipam.read();
    REQUIRE(kept);
    CHECK(kept->boot == now);
    CHECK(kept->subnets.size() == 2);
    CHECK(kept->addresses.size() == 1);
  }
  // A read of a ledger that is not there writes none.
  Ipam fresh(dir.path() + "/fresh");
  REQUIRE(fresh.read());
  struct stat sb {};
  CHECK(::stat((dir.path() + "/fresh/ipam.state").c_str(), &sb) != 0);
}

TEST_CASE("ipam: the ledger persists across reopen and is shared", "[ipam]") {
  stack::testing::TempDir dir("stack-ipam");
  std::string state_dir = dir.path() + "/network";
  {
    Ipam ipam(state_dir);
    auto s = ipam.reserve_subnet("sb-a", {}, {});
    REQUIRE(s);
    CHECK(*ipam.reserve_address("sb-a", "a/web-1") == A("10.89.0.2"));
  }
  Ipam reopened(state_dir);
  CHECK(reopened.reserve_subnet("sb-a", {}, {})->subnet == C("10.89.0.0/24"));
  CHECK(*reopened.reserve_address("sb-a", "a/web-2") == A("10.89.0.3"));
  CHECK(*reopened.reserve_address("sb-a", "a/web-1") == A("10.89.0.2"));
  Ipam other_stack(state_dir);
  CHECK(other_stack.reserve_subnet("sb-b", {}, {})->subnet == C("10.89.1.0/24"));
  CHECK(*other_stack.release_subnet("sb-a"));
  CHECK_FALSE(*other_stack.release_subnet("sb-a"));
  auto st = reopened.read();
  REQUIRE(st);
  CHECK(st->subnets.size() == 1);
  CHECK(st->addresses.empty());
}

TEST_CASE("ipam: concurrent stacks never get the same subnet (flock'd ledger)", "[ipam]") {
  stack::testing::TempDir dir("stack-ipam-race");
  const int kStacks = 8;
  std::vector<pid_t> kids;
  for (int i = 0; i < kStacks; ++i) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Each child is one stack's supervisor reserving its network and two addresses.
      Ipam ipam(dir.path());
      std::string net = "sb-stack" + std::to_string(i);
      bool good =
          ipam.reserve_subnet(net, {}, {}) && ipam.reserve_address(net, "web-1") && ipam.reserve_address(net, "web-2");
      ::_exit(good ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  }
  auto st = Ipam(dir.path()).read();
  REQUIRE(st);
  REQUIRE(st->subnets.size() == std::size_t(kStacks));
  REQUIRE(st->addresses.size() == std::size_t(2 * kStacks));
  for (std::size_t i = 0; i < st->subnets.size(); ++i)
    for (std::size_t j = i + 1; j < st->subnets.size(); ++j)
      CHECK_FALSE(st->subnets[i].subnet.overlaps(st->subnets[j].subnet));
}

TEST_CASE("ipam: several addresses at once, one ledger write, all or none", "[ipam]") {
  stack::testing::TempDir dir("stack-ipam-many");
  Ipam ipam(dir.path());
  REQUIRE(ipam.reserve_subnet("sb-a", {C("10.89.7.0/29"), {}}, {}));  // .2-.6 for containers
  REQUIRE(*ipam.reserve_address("sb-a", "a/old-1") == A("10.89.7.2"));
  struct stat before {};
  REQUIRE(::stat(ipam.state_path().c_str(), &before) == 0);
  auto many = ipam.reserve_addresses({{"sb-a", "a/web-1", {}}, {"sb-a", "a/web-2", A("10.89.7.6")},
                                      {"sb-a", "a/old-1", {}}, {"sb-a", "a/web-3", {}}});
  REQUIRE(many);
  CHECK(*many == std::vector<Ipv4>{A("10.89.7.3"), A("10.89.7.6"), A("10.89.7.2"), A("10.89.7.4")});
  struct stat after {};
  REQUIRE(::stat(ipam.state_path().c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);  // replaced once, as one reserve_address would
  CHECK(ipam.read()->addresses.size() == 4);
  // One that cannot be had (the subnet is full after web-4) fails all: none is leased.
  auto full = ipam.reserve_addresses({{"sb-a", "a/web-4", {}}, {"sb-a", "a/web-5", {}}});
  REQUIRE_FALSE(full);
  CHECK_THAT(full.error().message, Catch::Contains("network sb-a: container a/web-5"));
  CHECK(ipam.read()->addresses.size() == 4);
  auto nowhere = ipam.reserve_addresses({{"sb-nope", "a/x-1", {}}});
  REQUIRE_FALSE(nowhere);
  CHECK_THAT(nowhere.error().message, Catch::Contains("sb-nope"));
  auto none = ipam.reserve_addresses({});
  REQUIRE(none);
  CHECK(none->empty());
}
