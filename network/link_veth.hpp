#pragma once
// A container's link to one stack network: a veth pair (veth(4)) with one end on the
// network's bridge and the other inside the container's netns as eth0, eth1, ...
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "network/ipam_cidr.hpp"
#include "network/netlink.hpp"

namespace stack::net {

class Netns;

struct VethConfig {
  std::string host_name;        // veth_name(container, network): the end on the bridge
  std::string bridge;           // bridge_name(project, network)
  std::string ifname;           // container_ifname(i): the end inside the netns
  Cidr address;                 // the container's address, with the subnet's prefix
  std::optional<Ipv4> gateway;  // the default route; none on internal networks
  unsigned mtu = 0;             // 0: the kernel's default
};

// Creates the pair with its inner end directly in `target` under its final name, the
// host end on the bridge and up, one queue each (one RTM_NEWLINK: the peer's
// IFLA_NET_NS_FD, veth_newlink in drivers/net/veth.c), then, through a netlink socket
// opened inside `target`, addresses the inner end, brings it and lo up and adds the
// default route.
// On failure after creation the pair is deleted again. A host end left over under
// the same name is an error naming it (delete_veth it first).
Result<void> attach_veth(Netlink& host, const Netns& target, const VethConfig& config);

// Moves an existing link into another netns and renames it there: the building blocks
// for a link made in the host first (e.g. by an older supervisor).
Result<void> move_link_to_netns(Netlink& nl, std::string_view name, const Netns& target);
Result<void> rename_link(Netlink& nl, std::string_view from, std::string_view to);

// Teardown by the host end's name; the peer dies with it. false if already gone
// (also when the container's netns died first and took the pair with it).
Result<bool> delete_veth(Netlink& host, std::string_view host_name);

}  // namespace stack::net
