#pragma once
// A Linux bridge per stack network (ip-link(8) type bridge), carrying the network's
// gateway address so that containers route through it and the name server can
// listen on it.
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "network/ipam_cidr.hpp"
#include "network/netlink.hpp"

namespace stack::net {

struct BridgeConfig {
  std::string name;  // bridge_name(project, network)
  Cidr subnet;       // the network's subnet
  Ipv4 gateway;      // the bridge's own address inside subnet
  unsigned mtu = 0;  // 0: the kernel's default
};

// Creates the bridge; true if created, false if a bridge of that name existed
// (a link of another kind with that name is an error).
Result<bool> create_bridge(Netlink& nl, std::string_view name, unsigned mtu = 0);
// create_bridge, then the gateway address and IFF_UP; safe to repeat (e.g. after a
// supervisor restart). true if the bridge was created by this call.
Result<bool> ensure_bridge(Netlink& nl, const BridgeConfig& config);
// Whether a bridge of that name exists (`external: true` networks must); a link of
// another kind under the name is an error.
Result<bool> bridge_exists(Netlink& nl, std::string_view name);
// Teardown: false if already gone. Deleting a bridge frees its ports, and the kernel
// removes its addresses and routes with it.
Result<bool> delete_bridge(Netlink& nl, std::string_view name);

}  // namespace stack::net
