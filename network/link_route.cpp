#include "network/link_route.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cstring>
#include <optional>
#include <string>

#include "network/link.hpp"

namespace stack::net {

namespace {

Result<NlAddrPtr> to_nl_addr(Ipv4 a, int prefix) {
  std::uint32_t be = htonl(a.value);
  NlAddrPtr p(nl_addr_build(AF_INET, &be, sizeof be));
  if (!p) return fail_errno(ENOMEM, "failed to allocate a netlink address");
  nl_addr_set_prefixlen(p.get(), prefix);
  return p;
}

std::optional<Ipv4> from_nl_addr(nl_addr* a) {
  if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4) return std::nullopt;
  std::uint32_t be = 0;
  std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  return Ipv4{ntohl(be)};
}

}  // namespace

Result<bool> add_address(Netlink& nl, std::string_view ifname, const Cidr& address) {
  auto idx = ifindex_of(nl, ifname);
  if (!idx) return unexpected(std::move(idx).error());
  return add_address(nl, *idx, ifname, address);
}

Result<bool> add_address(Netlink& nl, int ifindex, std::string_view ifname, const Cidr& address) {
  AddrPtr addr(rtnl_addr_alloc());
  auto local = to_nl_addr(address.address, address.prefix);
  if (!addr || !local) return fail_errno(ENOMEM, "failed to allocate an address");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  if (int err = rtnl_addr_set_local(addr.get(), local->get()); err < 0)
    return nl_fail(err, "failed to set address " + format(address));
  rtnl_addr_set_prefixlen(addr.get(), address.prefix);
  // The kernel derives the broadcast address only when asked; containers expect one.
  auto brd = to_nl_addr(address.broadcast(), 32);
  if (brd && address.prefix < 31) rtnl_addr_set_broadcast(addr.get(), brd->get());
  int err = rtnl_addr_add(nl.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return false;
  if (err < 0) return nl_fail(err, "failed to add address " + format(address) + " to '" + std::string(ifname) + "'");
  return true;
}

Result<std::vector<Cidr>> list_addresses(Netlink& nl, std::string_view ifname) {
  auto idx = ifindex_of(nl, ifname);
  if (!idx) return unexpected(std::move(idx).error());
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(nl.get(), &raw); err < 0) return nl_fail(err, "failed to list addresses");
  CachePtr cache(raw);
  std::vector<Cidr> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(a) != *idx || rtnl_addr_get_family(a) != AF_INET) continue;
    if (auto ip = from_nl_addr(rtnl_addr_get_local(a))) out.push_back(Cidr{*ip, rtnl_addr_get_prefixlen(a)});
  }
  return out;
}

Result<bool> add_default_route(Netlink& nl, Ipv4 gateway, std::string_view ifname) {
  auto idx = ifindex_of(nl, ifname);
  if (!idx) return unexpected(std::move(idx).error());
  return add_default_route(nl, gateway, *idx, ifname);
}

Result<bool> add_default_route(Netlink& nl, Ipv4 gateway, int ifindex, std::string_view ifname) {
  RoutePtr route(rtnl_route_alloc());
  auto dst = to_nl_addr(Ipv4{0}, 0);
  auto gw = to_nl_addr(gateway, 32);
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (!route || !dst || !gw || !nh) {
    if (nh) rtnl_route_nh_free(nh);
    return fail_errno(ENOMEM, "failed to allocate a route");
  }
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, gw->get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh from here on
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  if (int err = rtnl_route_set_dst(route.get(), dst->get()); err < 0)
    return nl_fail(err, "failed to set the default route's destination");
  int err = rtnl_route_add(nl.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return false;
  if (err < 0)
    return nl_fail(err, "failed to add default route via " + format(gateway) + " dev '" + std::string(ifname) + "'");
  return true;
}

Result<std::vector<Route>> list_routes(Netlink& nl) {
  nl_cache* raw_links = nullptr;
  if (int err = rtnl_link_alloc_cache(nl.get(), AF_UNSPEC, &raw_links); err < 0)
    return nl_fail(err, "failed to list links");
  CachePtr links(raw_links);
  nl_cache* raw = nullptr;
  if (int err = rtnl_route_alloc_cache(nl.get(), AF_INET, 0, &raw); err < 0)
    return nl_fail(err, "failed to list routes");
  CachePtr cache(raw);
  std::vector<Route> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST) continue;
    nl_addr* dst = rtnl_route_get_dst(r);
    Route route;
    route.destination =
        Cidr{from_nl_addr(dst).value_or(Ipv4{0}), dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0};
    if (rtnl_route_get_nnexthops(r) > 0) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
      route.gateway = from_nl_addr(rtnl_route_nh_get_gateway(nh));
      char name[IFNAMSIZ + 1] = {};
      if (rtnl_link_i2name(links.get(), rtnl_route_nh_get_ifindex(nh), name, sizeof name)) route.device = name;
    }
    out.push_back(std::move(route));
  }
  return out;
}

Result<std::vector<HostRoute>> read_host_routes(Netlink& nl) {
  auto routes = list_routes(nl);
  if (!routes) return unexpected(std::move(routes).error());
  std::vector<HostRoute> out;
  for (auto& r : *routes) out.push_back(HostRoute{r.destination, std::move(r.device)});
  return out;
}

}  // namespace stack::net
