#include "network/link_veth.hpp"

#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "network/link.hpp"
#include "network/link_route.hpp"
#include "network/names.hpp"
#include "network/netns.hpp"

namespace stack::net {

namespace {

Result<void> create_pair(Netlink& host, const Netns& target, const VethConfig& c, int bridge_index) {
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return fail_errno(ENOMEM, "failed to allocate veth '" + c.host_name + "'");
  LinkPtr peer(rtnl_link_veth_get_peer(link.get()));  // takes a reference
  rtnl_link_set_name(link.get(), c.host_name.c_str());
  rtnl_link_set_master(link.get(), bridge_index);
  rtnl_link_set_name(peer.get(), c.ifname.c_str());
  rtnl_link_set_ns_fd(peer.get(), target.fd());
  for (rtnl_link* end : {link.get(), peer.get()}) {
    rtnl_link_set_num_tx_queues(end, 1);
    rtnl_link_set_num_rx_queues(end, 1);
  }
  // The host end comes up as it is made (rtnl_configure_link); the peer cannot: it is
  // configured before the pair is joined, and veth_open refuses with ENOTCONN.
  rtnl_link_set_flags(link.get(), IFF_UP);
  if (c.mtu > 0) {
    rtnl_link_set_mtu(link.get(), c.mtu);
    rtnl_link_set_mtu(peer.get(), c.mtu);
  }
  int err = rtnl_link_add(host.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) {
    auto existing = find_link(host, c.host_name);
    if (existing && *existing)
      return fail_errno(EEXIST, "failed to create veth '" + c.host_name + "': a link of that name is left over" +
                                    " (delete it first)");
    return fail_errno(
        EEXIST, "failed to create veth '" + c.host_name + "': '" + c.ifname + "' already exists in " + target.label());
  }
  if (err < 0)
    return nl_fail(err,
                   "failed to create veth '" + c.host_name + "' with peer '" + c.ifname + "' in " + target.label());
  return {};
}

// Each request waits for RTNL, which every netns being made holds a while: one lookup
// and four changes, none of them a lookup again (lo is index 1).
Result<void> configure_inside(const Netns& target, const VethConfig& c) {
  auto nl = Netlink::open_in(target);
  if (!nl) return unexpected(std::move(nl).error());
  auto index = ifindex_of(*nl, c.ifname);
  if (!index) return unexpected(std::move(index).error());
  STACK_TRY(add_address(*nl, *index, c.ifname, c.address));
  STACK_TRY(set_link_up(*nl, *index, c.ifname));
  STACK_TRY(set_link_up(*nl, kLoopbackIndex, "lo"));
  if (c.gateway) STACK_TRY(add_default_route(*nl, *c.gateway, *index, c.ifname));
  return {};
}

}  // namespace

Result<void> attach_veth(Netlink& host, const Netns& target, const VethConfig& c) {
  if (!valid_ifname(c.host_name) || !valid_ifname(c.ifname))
    return fail_errno(EINVAL, "invalid veth names '" + c.host_name + "' / '" + c.ifname + "'");
  if (c.gateway && !Cidr{c.address.network(), c.address.prefix}.contains(*c.gateway))
    return fail_errno(EINVAL, "gateway " + format(*c.gateway) + " is outside " + format(c.address));
  auto bridge = get_link(host, c.bridge);
  if (!bridge) return unexpected(std::move(bridge).error());
  const std::string what =
      "attaching " + c.ifname + " (" + format(c.address) + ") in " + target.label() + " to bridge '" + c.bridge + "'";
  STACK_TRY_CTX(create_pair(host, target, c, rtnl_link_get_ifindex(bridge->get())), what);
  auto done = configure_inside(target, c);
  if (!done) {
    (void)delete_veth(host, c.host_name);  // best effort: the error below is the one to report
    return unexpected(done.error().wrap(what));
  }
  return {};
}

Result<void> move_link_to_netns(Netlink& nl, std::string_view name, const Netns& target) {
  auto link = get_link(nl, name);
  if (!link) return unexpected(std::move(link).error());
  LinkPtr change(rtnl_link_alloc());
  if (!change) return fail_errno(ENOMEM, "failed to allocate a link");
  rtnl_link_set_ns_fd(change.get(), target.fd());
  if (int err = rtnl_link_change(nl.get(), link->get(), change.get(), 0); err < 0)
    return nl_fail(err, "failed to move link '" + std::string(name) + "' into " + target.label());
  return {};
}

Result<void> rename_link(Netlink& nl, std::string_view from, std::string_view to) {
  std::string t(to);
  if (!valid_ifname(t)) return fail_errno(EINVAL, "invalid interface name '" + t + "'");
  auto link = get_link(nl, from);
  if (!link) return unexpected(std::move(link).error());
  LinkPtr change(rtnl_link_alloc());
  if (!change) return fail_errno(ENOMEM, "failed to allocate a link");
  rtnl_link_set_name(change.get(), t.c_str());
  // The kernel renames only a link that is down (dev_change_name: EBUSY if IFF_UP).
  if (int err = rtnl_link_change(nl.get(), link->get(), change.get(), 0); err < 0)
    return nl_fail(err, "failed to rename link '" + std::string(from) + "' to '" + t + "'");
  return {};
}

Result<bool> delete_veth(Netlink& host, std::string_view host_name) { return delete_link(host, host_name, "veth"); }

}  // namespace stack::net
