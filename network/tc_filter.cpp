#include "network/tc_filter.hpp"

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/tc.h>

#include <cstring>

#include "network/tc.hpp"

namespace stack::net {

namespace {

// A filter object naming the link, the ingress hook and our priority.
Result<ClsPtr> our_filter(int ifindex) {
  ClsPtr cls(rtnl_cls_alloc());
  if (!cls) return fail_errno(ENOMEM, "failed to allocate a filter");
  rtnl_tc* tc = TC_CAST(cls.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, kIngressHandle);
  if (int err = rtnl_tc_set_kind(tc, "u32"); err < 0) return nl_fail(err, "failed to make a u32 filter");
  rtnl_cls_set_prio(cls.get(), kRedirectPrio);
  rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);
  return cls;
}

int mirred_target(rtnl_cls* cls) {
  for (rtnl_act* a = rtnl_u32_get_action(cls); a; a = rtnl_act_next(a)) {
    const char* kind = rtnl_tc_get_kind(TC_CAST(a));
    if (kind && std::strcmp(kind, "mirred") == 0) return static_cast<int>(rtnl_mirred_get_ifindex(a));
  }
  return 0;
}

}  // namespace

Result<RedirectInfo> find_redirect(Netlink& nl, int ifindex) {
  nl_cache* raw = nullptr;
  int err = rtnl_cls_alloc_cache(nl.get(), ifindex, kIngressHandle, &raw);
  // No ingress qdisc: no filter either.
  if (err == -NLE_INVAL || err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return RedirectInfo{};
  if (err < 0) return nl_fail(err, "failed to list the ingress filters of link " + std::to_string(ifindex));
  CachePtr cache(raw);
  RedirectInfo out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* cls = reinterpret_cast<rtnl_cls*>(o);
    if (rtnl_cls_get_prio(cls) != kRedirectPrio) continue;
    out.present = true;
    // u32 dumps its hash table node too; only the key node carries the action.
    if (int target = mirred_target(cls); target != 0) out.target_ifindex = target;
  }
  return out;
}

Result<void> add_redirect(Netlink& nl, int ifindex, int target_ifindex, const std::string& what) {
  auto cls = our_filter(ifindex);
  if (!cls) return unexpected(std::move(cls).error());
  // One key, value 0 under mask 0 at offset 0: matches every packet. A u32 node acts
  // only when TC_U32_TERMINAL is set (u32_classify), which tc(8) sets for "action".
  if (int err = rtnl_u32_add_key_uint32(cls->get(), 0, 0, 0, 0); err < 0)
    return nl_fail(err, "failed to build a u32 key");
  if (int err = rtnl_u32_set_cls_terminal(cls->get()); err < 0) return nl_fail(err, "failed to build a u32 filter");
  ActPtr act(rtnl_act_alloc());
  if (!act) return fail_errno(ENOMEM, "failed to allocate a mirred action");
  if (int err = rtnl_tc_set_kind(TC_CAST(act.get()), "mirred"); err < 0)
    return nl_fail(err, "failed to make a mirred action");
  rtnl_mirred_set_action(act.get(), TCA_EGRESS_REDIR);
  rtnl_mirred_set_policy(act.get(), TC_ACT_STOLEN);
  rtnl_mirred_set_ifindex(act.get(), static_cast<std::uint32_t>(target_ifindex));
  // The filter takes its own reference (rtnl_u32_add_action); ours goes with `act`.
  if (int err = rtnl_u32_add_action(cls->get(), act.get()); err < 0)
    return nl_fail(err, "failed to attach the mirred action");
  if (int err = rtnl_cls_add(nl.get(), cls->get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
    return nl_fail(err, "failed to add the redirect filter on the ingress of " + what + " to link " +
                            std::to_string(target_ifindex));
  return {};
}

Result<bool> delete_redirect(Netlink& nl, int ifindex, const std::string& what) {
  auto found = find_redirect(nl, ifindex);
  if (!found) return unexpected(found.error().wrap("on " + what));
  if (!found->present) return false;
  auto cls = our_filter(ifindex);
  if (!cls) return unexpected(std::move(cls).error());
  int err = rtnl_cls_delete(nl.get(), cls->get(), 0);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return false;
  if (err < 0) return nl_fail(err, "failed to delete the redirect filter on " + what);
  return true;
}

}  // namespace stack::net
