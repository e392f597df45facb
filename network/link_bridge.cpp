#include "network/link_bridge.hpp"

#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "network/link.hpp"
#include "network/link_route.hpp"
#include "network/names.hpp"

namespace stack::net {

Result<bool> create_bridge(Netlink& nl, std::string_view name, unsigned mtu) {
  std::string n(name);
  if (!valid_ifname(n)) return fail_errno(EINVAL, "invalid bridge name '" + n + "'");
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) return fail_errno(ENOMEM, "failed to allocate bridge '" + n + "'");
  rtnl_link_set_name(link.get(), n.c_str());
  if (mtu > 0) rtnl_link_set_mtu(link.get(), mtu);
  int err = rtnl_link_add(nl.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == 0) return true;
  if (err != -NLE_EXIST) return nl_fail(err, "failed to create bridge '" + n + "'");
  auto existing = get_link(nl, n);
  if (!existing) return unexpected(existing.error().wrap("bridge '" + n + "' exists"));
  std::string kind = link_kind(existing->get());
  if (kind != "bridge")
    return fail_errno(EEXIST,
                      "failed to create bridge '" + n + "': a link of kind '" + kind + "' already has that name");
  return false;
}

Result<bool> ensure_bridge(Netlink& nl, const BridgeConfig& c) {
  if (!c.subnet.usable_host(c.gateway))
    return fail_errno(EINVAL, "gateway " + format(c.gateway) + " of bridge '" + c.name +
                                  "' is not a usable address of " + format(c.subnet));
  auto created = create_bridge(nl, c.name, c.mtu);
  if (!created) return created;
  auto configured = [&]() -> Result<void> {
    STACK_TRY(add_address(nl, c.name, Cidr{c.gateway, c.subnet.prefix}));
    STACK_TRY(set_link_up(nl, c.name));
    return {};
  }();
  if (!configured) {
    // Undo only what this call made; a bridge that existed before is left as found.
    if (*created) (void)delete_bridge(nl, c.name);
    return unexpected(configured.error().wrap("setting up bridge '" + c.name + "'"));
  }
  return *created;
}

Result<bool> bridge_exists(Netlink& nl, std::string_view name) {
  auto found = find_link(nl, name);
  if (!found) return unexpected(std::move(found).error());
  if (!*found) return false;
  if (std::string kind = link_kind((*found)->get()); kind != "bridge")
    return fail_errno(EEXIST, "link '" + std::string(name) + "' is a '" + kind + "', not a bridge");
  return true;
}

Result<bool> delete_bridge(Netlink& nl, std::string_view name) { return delete_link(nl, name, "bridge"); }

}  // namespace stack::net
