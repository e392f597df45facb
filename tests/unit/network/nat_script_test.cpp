#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "network/nat.hpp"

using namespace stack::net;

static Cidr C(const char* s) { return *parse_cidr(s); }
static Ipv4 A(const char* s) { return *parse_ipv4(s); }

TEST_CASE("nat: script replaces the stack's table atomically", "[nat]") {
  NatConfig c{"stack_0123456789ab", {{"sb-aaaaaaaaaaaa", C("10.89.0.0/24"), A("10.89.0.1"), false}}};
  std::string s = nat_script(c);
  // Declared, deleted and redefined in one script: nft applies it as one transaction.
  CHECK(s.rfind("table ip stack_0123456789ab\ndelete table ip stack_0123456789ab\ntable ip stack_0123456789ab {\n",
                0) == 0);
  CHECK_THAT(s, Catch::Contains("type nat hook postrouting priority srcnat; policy accept;"));
  CHECK_THAT(s, Catch::Contains("ip saddr 10.89.0.0/24 oifname != \"sb-*\" masquerade"));
  CHECK_THAT(s, Catch::Contains("iifname \"sb-aaaaaaaaaaaa\" oifname \"sb-*\" oifname != \"sb-aaaaaaaaaaaa\" drop"));
  CHECK_THAT(s, Catch::Contains("oifname \"sb-aaaaaaaaaaaa\" iifname \"sb-*\" iifname != \"sb-aaaaaaaaaaaa\" drop"));
  CHECK_THAT(s, Catch::Contains("ip daddr 10.89.0.1 iifname \"sb-*\" iifname != \"sb-aaaaaaaaaaaa\" drop"));
  // Policies stay accept: the table only ever drops what it names.
  CHECK_THAT(s, !Catch::Contains("policy drop"));
}

TEST_CASE("nat: internal networks get no masquerade and no way out", "[nat]") {
  NatConfig c{
      "stack_x",
      {{"sb-pub", C("10.89.0.0/24"), A("10.89.0.1"), false}, {"sb-int", C("10.89.1.0/24"), A("10.89.1.1"), true}}};
  std::string s = nat_script(c);
  CHECK_THAT(s, Catch::Contains("ip saddr 10.89.0.0/24"));
  CHECK_THAT(s, !Catch::Contains("ip saddr 10.89.1.0/24"));
  CHECK_THAT(s, Catch::Contains("iifname \"sb-int\" oifname != \"sb-int\" drop"));
  CHECK_THAT(s, Catch::Contains("oifname \"sb-int\" iifname != \"sb-int\" drop"));
  CHECK_THAT(s, Catch::Contains("ip daddr 10.89.1.1 iifname \"sb-*\" iifname != \"sb-int\" drop"));
}

TEST_CASE("nat: an empty stack still makes a well-formed table", "[nat]") {
  std::string s = nat_script(NatConfig{"stack_e", {}});
  CHECK_THAT(s, Catch::Contains("chain postrouting"));
  CHECK_THAT(s, Catch::Contains("chain forward"));
  CHECK_THAT(s, Catch::Contains("chain input"));
  CHECK(std::count(s.begin(), s.end(), '{') == std::count(s.begin(), s.end(), '}'));
}

TEST_CASE("nat: a bad table name is refused before nft runs", "[nat]") {
  auto r = apply_nat(NatConfig{"stack x; flush ruleset", {}});
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("invalid nftables table name"));
  CHECK_FALSE(delete_nat_table("a b"));
}
