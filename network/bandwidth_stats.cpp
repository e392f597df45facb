#include "network/bandwidth_stats.hpp"

#include <netlink/route/link.h>

#include "network/link.hpp"

namespace stack::net {

Result<NetIo> read_net_io(Netlink& nl, std::string_view host_veth) {
  // rtnl_link_get_kernel (RTM_GETLINK for one link) carries IFLA_STATS64.
  auto link = get_link(nl, host_veth);
  if (!link) return unexpected(link.error().wrap("reading the counters of '" + std::string(host_veth) + "'"));
  rtnl_link* l = link->get();
  NetIo io;
  io.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
  io.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
  io.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
  io.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
  return io;
}

}  // namespace stack::net
