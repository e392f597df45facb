#include "network/bandwidth_apply.hpp"

#include <linux/netlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>

#include <cstdio>

#include "network/link.hpp"
#include "network/names.hpp"
#include "network/tc.hpp"
#include "network/tc_filter.hpp"

namespace stack::net {

namespace {

struct LinkRef {
  int ifindex;
  unsigned mtu;
};

Result<LinkRef> ref_of(Netlink& nl, std::string_view name) {
  auto link = get_link(nl, name);
  if (!link) return unexpected(std::move(link).error());
  return LinkRef{rtnl_link_get_ifindex(link->get()), rtnl_link_get_mtu(link->get())};
}

// The ifb for a link, created (up, with the link's MTU) if missing. A link of another
// kind under the name is an error, never reused.
Result<LinkRef> ensure_ifb(Netlink& nl, const std::string& name, unsigned mtu) {
  auto found = find_link(nl, name);
  if (!found) return unexpected(std::move(found).error());
  if (*found) {
    std::string kind = link_kind((*found)->get());
    if (kind != "ifb") return fail_errno(EEXIST, "link '" + name + "' exists and is a '" + kind + "', not an ifb");
    STACK_TRY(set_link_up(nl, name));
    return LinkRef{rtnl_link_get_ifindex((*found)->get()), rtnl_link_get_mtu((*found)->get())};
  }
  LinkPtr link(rtnl_link_alloc());
  if (!link) return fail_errno(ENOMEM, "failed to allocate ifb '" + name + "'");
  if (int err = rtnl_link_set_type(link.get(), "ifb"); err < 0)
    return nl_fail(err, "failed to make ifb '" + name + "'");
  rtnl_link_set_name(link.get(), name.c_str());
  rtnl_link_set_mtu(link.get(), mtu);
  rtnl_link_set_flags(link.get(), IFF_UP);
  if (int err = rtnl_link_add(nl.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "failed to create ifb '" + name + "' (is the ifb module available?)");
  return ref_of(nl, name);
}

// Out of the container: ifb with its tbf first, then the redirect, so the first
// redirected packet is already shaped.
Result<void> limit_egress(Netlink& nl, const std::string& veth, LinkRef v, std::uint64_t rate,
                          std::optional<std::uint32_t> burst) {
  auto shape = tbf_shape(rate, burst, v.mtu);
  if (!shape) return unexpected(shape.error().wrap("egress"));
  std::string ifb = ifb_name(veth);
  auto dev = ensure_ifb(nl, ifb, v.mtu);
  if (!dev) return unexpected(std::move(dev).error());
  STACK_TRY(replace_root_tbf(nl, dev->ifindex, *shape, "ifb '" + ifb + "'"));
  STACK_TRY(add_ingress_qdisc(nl, v.ifindex, "'" + veth + "'"));
  auto redirect = find_redirect(nl, v.ifindex);
  if (!redirect) return unexpected(std::move(redirect).error());
  if (redirect->present && redirect->target_ifindex == dev->ifindex) return {};
  // Missing, or pointing at an ifb that was deleted and made again (a new ifindex).
  if (redirect->present) STACK_TRY(delete_redirect(nl, v.ifindex, "'" + veth + "'"));
  return add_redirect(nl, v.ifindex, dev->ifindex, "'" + veth + "'");
}

Result<bool> unlimit_egress(Netlink& nl, std::string_view veth, std::optional<int> veth_ifindex, std::string_view ifb) {
  bool changed = false;
  if (veth_ifindex) {
    auto q = delete_ingress_qdisc(nl, *veth_ifindex, "'" + std::string(veth) + "'");
    if (!q) return q;
    changed |= *q;
  }
  auto dev = delete_link(nl, ifb, "ifb");
  if (!dev) return dev;
  return changed || *dev;
}

}  // namespace

std::string ifb_name(std::string_view host_veth) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(name_hash({"ifb", host_veth})));
  return std::string(kIfbPrefix) + std::string(buf + 3, 13);
}

Result<void> apply_bandwidth(Netlink& nl, std::string_view host_veth, const Bandwidth& bw) {
  std::string veth(host_veth);
  auto apply = [&]() -> Result<void> {
    auto v = ref_of(nl, veth);
    if (!v) return unexpected(std::move(v).error());
    if (bw.ingress_bps) {
      auto shape = tbf_shape(*bw.ingress_bps, bw.burst_bytes, v->mtu);
      if (!shape) return unexpected(shape.error().wrap("ingress"));
      STACK_TRY(replace_root_tbf(nl, v->ifindex, *shape, "'" + veth + "'"));
    } else {
      STACK_TRY(delete_root_tbf(nl, v->ifindex, "'" + veth + "'"));
    }
    if (bw.egress_bps) return limit_egress(nl, veth, *v, *bw.egress_bps, bw.burst_bytes);
    STACK_TRY(unlimit_egress(nl, veth, v->ifindex, ifb_name(veth)));
    return {};
  };
  auto r = apply();
  if (!r) return unexpected(r.error().wrap("applying bandwidth limits to '" + veth + "'"));
  return {};
}

Result<Bandwidth> read_bandwidth(Netlink& nl, std::string_view host_veth) {
  Bandwidth bw;
  auto tbf_of = [&](int ifindex) -> Result<std::optional<std::uint32_t>> {
    auto qs = list_qdiscs(nl, ifindex);
    if (!qs) return unexpected(std::move(qs).error());
    for (const auto& q : *qs) {
      if (q.kind == "tbf" && q.handle == kStackQdiscHandle) return q.tbf_rate_bytes;
    }
    return std::optional<std::uint32_t>{};
  };
  auto v = ref_of(nl, host_veth);
  if (!v) return unexpected(std::move(v).error());
  auto in = tbf_of(v->ifindex);
  if (!in) return unexpected(std::move(in).error());
  if (*in) bw.ingress_bps = std::uint64_t{**in} * 8;
  auto dev = find_link(nl, ifb_name(host_veth));
  if (!dev) return unexpected(std::move(dev).error());
  if (*dev && link_kind((*dev)->get()) == "ifb") {
    auto redirect = find_redirect(nl, v->ifindex);
    if (!redirect) return unexpected(std::move(redirect).error());
    auto out = tbf_of(rtnl_link_get_ifindex((*dev)->get()));
    if (!out) return unexpected(std::move(out).error());
    if (*out && redirect->present) bw.egress_bps = std::uint64_t{**out} * 8;
  }
  return bw;
}

Result<bool> remove_bandwidth(Netlink& nl, std::string_view host_veth, std::string_view ifb) {
  std::string veth(host_veth);
  auto link = find_link(nl, veth);
  if (!link) return unexpected(std::move(link).error());
  std::optional<int> ifindex;
  if (*link) ifindex = rtnl_link_get_ifindex((*link)->get());
  bool changed = false;
  if (ifindex) {
    auto root = delete_root_tbf(nl, *ifindex, "'" + veth + "'");
    if (!root) return unexpected(root.error().wrap("removing bandwidth limits of '" + veth + "'"));
    changed = *root;
  }
  auto out = unlimit_egress(nl, veth, ifindex, ifb);
  if (!out) return unexpected(out.error().wrap("removing bandwidth limits of '" + veth + "'"));
  return changed || *out;
}

Result<bool> teardown_bandwidth(std::string_view host_veth, std::string_view ifb) {
  auto nl = Netlink::open();
  if (!nl) return unexpected(nl.error().wrap("removing bandwidth limits of '" + std::string(host_veth) + "'"));
  return remove_bandwidth(*nl, host_veth, ifb);
}

}  // namespace stack::net
