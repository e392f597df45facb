#pragma once
// NET I/O of a container link for `stack stats`, read on the host end of its veth pair
// (rtnl_link_get_stat, the kernel's rtnl_link_stats64): what the host end sends the
// container receives and the other way round, so the numbers are turned around here.
// Read on the host side, they need no entry into the container's netns and count every
// packet the container sent, also those a limit later delays or drops.
#include <cstdint>
#include <string_view>

#include "engine/base/result.hpp"
#include "network/netlink.hpp"

namespace stack::net {

// The container's view of one link.
struct NetIo {
  std::uint64_t rx_bytes = 0;  // received by the container (host end's tx)
  std::uint64_t rx_packets = 0;
  std::uint64_t tx_bytes = 0;  // sent by the container (host end's rx)
  std::uint64_t tx_packets = 0;

  NetIo& operator+=(const NetIo& o) {
    rx_bytes += o.rx_bytes;
    rx_packets += o.rx_packets;
    tx_bytes += o.tx_bytes;
    tx_packets += o.tx_packets;
    return *this;
  }
};

// The counters of the link whose host end is `host_veth` (an error naming it if the
// link is gone). Sum several links with +=.
Result<NetIo> read_net_io(Netlink& nl, std::string_view host_veth);

}  // namespace stack::net
