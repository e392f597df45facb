#include "network/link.hpp"

#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>

#include "network/netns.hpp"

namespace stack::net {

Result<std::optional<LinkPtr>> find_link(Netlink& nl, std::string_view name) {
  std::string n(name);
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(nl.get(), 0, n.c_str(), &raw);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return std::optional<LinkPtr>{};
  if (err < 0) return nl_fail(err, "failed to look up link '" + n + "'");
  return std::optional<LinkPtr>{LinkPtr(raw)};
}

Result<LinkPtr> get_link(Netlink& nl, std::string_view name) {
  auto found = find_link(nl, name);
  if (!found) return unexpected(std::move(found).error());
  if (!*found) return fail_errno(ENODEV, "link '" + std::string(name) + "' not found");
  return std::move(**found);
}

Result<int> ifindex_of(Netlink& nl, std::string_view name) {
  auto link = get_link(nl, name);
  if (!link) return unexpected(std::move(link).error());
  return rtnl_link_get_ifindex(link->get());
}

std::string link_kind(rtnl_link* link) {
  const char* t = rtnl_link_get_type(link);
  return t ? t : "";
}

Result<bool> set_link_up(Netlink& nl, std::string_view name) {
  auto link = get_link(nl, name);
  if (!link) return unexpected(std::move(link).error());
  if (rtnl_link_get_flags(link->get()) & IFF_UP) return false;
  LinkPtr change(rtnl_link_alloc());
  if (!change) return fail_errno(ENOMEM, "failed to allocate a link");
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(nl.get(), link->get(), change.get(), 0); err < 0)
    return nl_fail(err, "failed to bring link '" + std::string(name) + "' up");
  return true;
}

Result<void> set_link_up(Netlink& nl, int ifindex, std::string_view name) {
  LinkPtr link(rtnl_link_alloc());
  LinkPtr change(rtnl_link_alloc());
  if (!link || !change) return fail_errno(ENOMEM, "failed to allocate a link");
  rtnl_link_set_ifindex(link.get(), ifindex);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(nl.get(), link.get(), change.get(), 0); err < 0)
    return nl_fail(err, "failed to bring link '" + std::string(name) + "' up");
  return {};
}

Result<bool> delete_link(Netlink& nl, std::string_view name, std::string_view kind) {
  auto found = find_link(nl, name);
  if (!found) return unexpected(std::move(found).error());
  if (!*found) return false;
  std::string actual = link_kind((*found)->get());
  if (actual != kind)
    return fail_errno(EINVAL, "refusing to delete link '" + std::string(name) + "': it is a " +
                                  (actual.empty() ? std::string("link of no kind") : "'" + actual + "'") + ", not a " +
                                  std::string(kind));
  int err = rtnl_link_delete(nl.get(), (*found)->get());
  // Gone between the lookup and the delete (e.g. a veth whose peer's netns died).
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return nl_fail(err, "failed to delete " + std::string(kind) + " '" + std::string(name) + "'");
  return true;
}

Result<bool> delete_link_index(Netlink& nl, int ifindex, std::string_view what) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail_errno(ENOMEM, "failed to allocate a link");
  rtnl_link_set_ifindex(link.get(), ifindex);
  int err = rtnl_link_delete(nl.get(), link.get());
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return nl_fail(err, "failed to delete " + std::string(what));
  return true;
}

Result<bool> bring_up_loopback(const Netns& ns) {
  auto nl = Netlink::open_in(ns);
  if (!nl) return unexpected(nl.error().wrap("bringing lo up in " + ns.label()));
  auto up = set_link_up(*nl, "lo");
  if (!up) return unexpected(up.error().wrap("in " + ns.label()));
  return *up;
}

}  // namespace stack::net
