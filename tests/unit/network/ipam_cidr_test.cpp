#include "network/ipam_cidr.hpp"

#include <catch2/catch.hpp>
#include <vector>

using namespace stack::net;

static Cidr C(const char* s) { return *parse_cidr(s); }
static Ipv4 A(const char* s) { return *parse_ipv4(s); }

TEST_CASE("cidr: parse and format round trip", "[ipam]") {
  CHECK(A("10.89.0.1").value == 0x0a590001u);
  CHECK(format(A("255.255.255.255")) == "255.255.255.255");
  CHECK(format(A("0.0.0.0")) == "0.0.0.0");
  CHECK(format(C("10.89.3.0/24")) == "10.89.3.0/24");
  CHECK(C("10.89.3.7/24").network() == A("10.89.3.0"));
  CHECK(C("10.89.3.7/24").broadcast() == A("10.89.3.255"));
  CHECK(C("0.0.0.0/0").mask() == 0u);
  CHECK(C("1.2.3.4/32").size() == 1u);
  CHECK(C("0.0.0.0/0").size() == (std::uint64_t{1} << 32));
}

TEST_CASE("cidr: rejects malformed text", "[ipam]") {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", "01.2.3.4", "1..3.4", "a.b.c.d",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/"})
    CHECK_FALSE(parse_ipv4(bad));
  for (const char* bad : {"1.2.3.4", "1.2.3.4/33", "1.2.3.4/-1", "1.2.3.4/", "1.2.3.4/2x", "x/24", "1.2.3.4/024"})
    CHECK_FALSE(parse_cidr(bad));
  auto strict = parse_cidr("10.0.0.1/24", true);
  REQUIRE_FALSE(strict);
  CHECK_THAT(strict.error().message, Catch::Contains("did you mean 10.0.0.0/24"));
  CHECK(parse_cidr("10.0.0.0/24", true));
}

TEST_CASE("cidr: containment and overlap", "[ipam]") {
  CHECK(C("10.89.0.0/16").contains(A("10.89.255.1")));
  CHECK_FALSE(C("10.89.0.0/16").contains(A("10.90.0.1")));
  CHECK(C("10.89.0.0/16").overlaps(C("10.89.7.0/24")));
  CHECK(C("10.89.7.0/24").overlaps(C("10.89.0.0/16")));
  CHECK_FALSE(C("10.89.7.0/24").overlaps(C("10.89.8.0/24")));
  CHECK(C("0.0.0.0/0").overlaps(C("192.168.1.0/24")));
  CHECK(C("10.0.0.5/32").overlaps(C("10.0.0.0/29")));
  CHECK_FALSE(C("10.0.0.8/32").overlaps(C("10.0.0.0/29")));
}

TEST_CASE("cidr: usable hosts exclude network and broadcast", "[ipam]") {
  Cidr c = C("10.89.1.0/24");
  CHECK_FALSE(c.usable_host(A("10.89.1.0")));
  CHECK_FALSE(c.usable_host(A("10.89.1.255")));
  CHECK(c.usable_host(A("10.89.1.1")));
  CHECK_FALSE(c.usable_host(A("10.89.2.1")));
  CHECK(C("10.0.0.0/31").usable_host(A("10.0.0.0")));
  CHECK(c.host(1) == A("10.89.1.1"));
}

TEST_CASE("cidr: next free subnet scans the pool in order", "[ipam]") {
  Cidr pool = C("10.89.0.0/16");
  std::vector<Cidr> taken;
  CHECK(*next_free_subnet(pool, 24, taken) == C("10.89.0.0/24"));
  taken = {C("10.89.0.0/24"), C("10.89.1.0/24")};
  CHECK(*next_free_subnet(pool, 24, taken) == C("10.89.2.0/24"));
  taken = {C("10.89.0.0/23"), C("10.89.2.128/25")};  // a wider and a narrower neighbour
  CHECK(*next_free_subnet(pool, 24, taken) == C("10.89.3.0/24"));
  taken = {C("10.89.0.0/16")};
  CHECK_FALSE(next_free_subnet(pool, 24, taken));
  taken = {C("10.89.0.0/17")};
  CHECK(*next_free_subnet(pool, 24, taken) == C("10.89.128.0/24"));
  CHECK_FALSE(next_free_subnet(pool, 8, taken));  // prefix wider than the pool
  Cidr small = C("192.168.0.0/30");
  taken = {};
  CHECK(*next_free_subnet(small, 31, taken) == C("192.168.0.0/31"));
}
