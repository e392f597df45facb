#include "network/teardown.hpp"

#include "network/ipam.hpp"
#include "network/link_bridge.hpp"
#include "network/link_veth.hpp"
#include "network/nat.hpp"
#include "network/netlink.hpp"

namespace stack::net {

Result<bool> teardown_bridge(std::string_view bridge) {
  auto nl = Netlink::open();
  if (!nl) return unexpected(nl.error().wrap("removing bridge '" + std::string(bridge) + "'"));
  return delete_bridge(*nl, bridge);
}

Result<bool> teardown_veth(std::string_view host_name) {
  auto nl = Netlink::open();
  if (!nl) return unexpected(nl.error().wrap("removing veth '" + std::string(host_name) + "'"));
  return delete_veth(*nl, host_name);
}

Result<bool> teardown_nat_table(std::string_view table) { return delete_nat_table(table); }

Result<bool> teardown_address(const std::string& state_dir, std::string_view network, std::string_view container) {
  return Ipam(state_dir).release_address(network, container);
}

Result<bool> teardown_subnet(const std::string& state_dir, std::string_view network) {
  return Ipam(state_dir).release_subnet(network);
}

}  // namespace stack::net
