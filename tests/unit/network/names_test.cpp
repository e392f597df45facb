#include "network/names.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>

using namespace stack::net;

TEST_CASE("names: every derived interface name fits IFNAMSIZ and is valid", "[names]") {
  for (int i = 0; i < 1000; ++i) {
    std::string long_part(static_cast<std::size_t>(i % 300), 'x');
    auto b = bridge_name("project-" + long_part, "net" + std::to_string(i));
    auto v = veth_name("project/service-" + std::to_string(i) + long_part, "default");
    CHECK(b.size() == kIfNameMax);
    CHECK(v.size() == kIfNameMax);
    CHECK(valid_ifname(b));
    CHECK(valid_ifname(v));
    CHECK(b.rfind(std::string(kBridgePrefix), 0) == 0);
    CHECK(v.rfind(std::string(kVethPrefix), 0) == 0);
  }
}

TEST_CASE("names: deterministic, so teardown finds the same objects", "[names]") {
  CHECK(bridge_name("shop", "default") == bridge_name("shop", "default"));
  CHECK(veth_name("shop/web-1", "default") == veth_name("shop/web-1", "default"));
  CHECK(nat_table_name("shop") == nat_table_name("shop"));
  CHECK(bridge_name("shop", "default") != bridge_name("shop2", "default"));
  CHECK(bridge_name("shop", "front") != bridge_name("shop", "back"));
}

TEST_CASE("names: part boundaries matter", "[names]") {
  CHECK(bridge_name("ab", "c") != bridge_name("a", "bc"));
  // Compose's full network name: an external network finds the bridge by that name.
  CHECK(bridge_name("shop", "default") == bridge_name("shop_default"));
  CHECK(veth_name("a", "") != veth_name("", "a"));
  CHECK(name_hash({"x", "y"}) != name_hash({"xy"}));
}

TEST_CASE("names: no collisions among many stacks and containers", "[names]") {
  std::set<std::string> bridges, veths, tables;
  const int stacks = 400, networks = 5, containers = 50;
  for (int s = 0; s < stacks; ++s) {
    std::string project = "p" + std::to_string(s);
    tables.insert(nat_table_name(project));
    for (int n = 0; n < networks; ++n) {
      std::string network = n == 0 ? "default" : "net" + std::to_string(n);
      bridges.insert(bridge_name(project, network));
      for (int c = 0; c < containers; ++c) veths.insert(veth_name(project + "/svc-" + std::to_string(c), network));
    }
  }
  CHECK(tables.size() == std::size_t(stacks));
  CHECK(bridges.size() == std::size_t(stacks * networks));
  CHECK(veths.size() == std::size_t(stacks * networks * containers));
  // The name spaces never overlap: a veth name is never taken for a bridge.
  for (const auto& v : veths) CHECK_FALSE(bridges.count(v));
}

TEST_CASE("names: container interface names and validity rules", "[names]") {
  CHECK(container_ifname(0) == "eth0");
  CHECK(container_ifname(12) == "eth12");
  CHECK(nat_table_name("x").size() == 18);
  CHECK_FALSE(valid_ifname(""));
  CHECK_FALSE(valid_ifname("0123456789abcdef"));  // 16 bytes
  CHECK(valid_ifname("0123456789abcde"));
  CHECK_FALSE(valid_ifname("a/b"));
  CHECK_FALSE(valid_ifname("a b"));
  CHECK_FALSE(valid_ifname("a:b"));
  CHECK_FALSE(valid_ifname("."));
  CHECK_FALSE(valid_ifname(".."));
}
