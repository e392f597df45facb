#pragma once
// IPv4 addresses and routes of a link, over the socket's netns (rtnetlink(7)
// RTM_NEWADDR / RTM_NEWROUTE / RTM_GETROUTE).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "network/ipam_cidr.hpp"
#include "network/ipam_state.hpp"
#include "network/netlink.hpp"

namespace stack::net {

// Adds address/prefix to the link; false if the link already had it.
Result<bool> add_address(Netlink& nl, std::string_view ifname, const Cidr& address);
// The same for a link whose index is known (one lookup fewer; ifname names it in errors).
Result<bool> add_address(Netlink& nl, int ifindex, std::string_view ifname, const Cidr& address);
// The link's IPv4 addresses with their prefixes.
Result<std::vector<Cidr>> list_addresses(Netlink& nl, std::string_view ifname);
// Adds "default via gateway dev ifname"; false if a default route existed already.
Result<bool> add_default_route(Netlink& nl, Ipv4 gateway, std::string_view ifname);
Result<bool> add_default_route(Netlink& nl, Ipv4 gateway, int ifindex, std::string_view ifname);

struct Route {
  Cidr destination;             // 0.0.0.0/0 for the default route
  std::optional<Ipv4> gateway;  // first next hop's gateway, if any
  std::string device;           // first next hop's link name, if any
};
// The IPv4 routes of the main table (RT_TABLE_MAIN), unicast only.
Result<std::vector<Route>> list_routes(Netlink& nl);
// The same, as IPAM's overlap check wants them.
Result<std::vector<HostRoute>> read_host_routes(Netlink& nl);

}  // namespace stack::net
