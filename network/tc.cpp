#include "network/tc.hpp"

#include <linux/pkt_sched.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <cstring>

namespace stack::net {

void TcDeleter::operator()(rtnl_qdisc* p) const noexcept { rtnl_qdisc_put(p); }
void TcDeleter::operator()(rtnl_cls* p) const noexcept { rtnl_cls_put(p); }
void TcDeleter::operator()(rtnl_act* p) const noexcept { rtnl_act_put(p); }

namespace {

QdiscInfo info_of(rtnl_qdisc* q) {
  QdiscInfo info;
  rtnl_tc* tc = TC_CAST(q);
  const char* kind = rtnl_tc_get_kind(tc);
  info.kind = kind ? kind : "";
  info.handle = rtnl_tc_get_handle(tc);
  info.parent = rtnl_tc_get_parent(tc);
  info.bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
  info.packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
  info.drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
  if (info.kind == "tbf") {
    info.tbf_rate_bytes = static_cast<std::uint32_t>(rtnl_qdisc_tbf_get_rate(q));
    info.tbf_limit_bytes = static_cast<std::uint32_t>(rtnl_qdisc_tbf_get_limit(q));
  }
  return info;
}

// A qdisc object naming only the link, parent and handle: enough for add and delete.
Result<QdiscPtr> qdisc_at(int ifindex, std::uint32_t parent, std::uint32_t handle, const char* kind) {
  QdiscPtr q(rtnl_qdisc_alloc());
  if (!q) return fail_errno(ENOMEM, "failed to allocate a qdisc");
  rtnl_tc* tc = TC_CAST(q.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, parent);
  rtnl_tc_set_handle(tc, handle);
  if (int err = rtnl_tc_set_kind(tc, kind); err < 0) return nl_fail(err, std::string("unknown qdisc kind ") + kind);
  return q;
}

// Our qdisc of `kind` with `handle` on the link, if there is one.
Result<bool> has_qdisc(Netlink& nl, int ifindex, std::uint32_t handle, const std::string& kind) {
  auto all = list_qdiscs(nl, ifindex);
  if (!all) return unexpected(std::move(all).error());
  for (const auto& q : *all) {
    if (q.handle == handle && q.kind == kind) return true;
  }
  return false;
}

// Gone between the dump and the delete (the link died, or someone else removed it).
bool gone(int err) { return err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV; }

}  // namespace

Result<std::vector<QdiscInfo>> list_qdiscs(Netlink& nl, int ifindex) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_qdisc_alloc_cache(nl.get(), &raw); err < 0) return nl_fail(err, "failed to list qdiscs");
  CachePtr cache(raw);
  std::vector<QdiscInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* q = reinterpret_cast<rtnl_qdisc*>(o);
    if (rtnl_tc_get_ifindex(TC_CAST(q)) == ifindex) out.push_back(info_of(q));
  }
  return out;
}

Result<void> replace_root_tbf(Netlink& nl, int ifindex, const TbfShape& shape, const std::string& what) {
  auto q = qdisc_at(ifindex, TC_H_ROOT, kStackQdiscHandle, "tbf");
  if (!q) return unexpected(std::move(q).error());
  // libnl takes ints; tbf_shape() keeps every value below 2^31.
  rtnl_qdisc_tbf_set_rate(q->get(), static_cast<int>(shape.rate_bytes), static_cast<int>(shape.burst_bytes), 0);
  rtnl_qdisc_tbf_set_limit(q->get(), static_cast<int>(shape.limit_bytes));
  if (int err = rtnl_qdisc_add(nl.get(), q->get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0)
    return nl_fail(err, "failed to set tbf " + human_rate(std::uint64_t{shape.rate_bytes} * 8) + " burst " +
                            human_size(shape.burst_bytes) + " limit " + human_size(shape.limit_bytes) + " on " +
                            what);
  return {};
}

Result<bool> delete_root_tbf(Netlink& nl, int ifindex, const std::string& what) {
  auto ours = has_qdisc(nl, ifindex, kStackQdiscHandle, "tbf");
  if (!ours) return unexpected(ours.error().wrap("on " + what));
  if (!*ours) return false;
  auto q = qdisc_at(ifindex, TC_H_ROOT, kStackQdiscHandle, "tbf");
  if (!q) return unexpected(std::move(q).error());
  int err = rtnl_qdisc_delete(nl.get(), q->get());
  if (gone(err)) return false;
  if (err < 0) return nl_fail(err, "failed to delete the root tbf of " + what);
  return true;
}

Result<bool> add_ingress_qdisc(Netlink& nl, int ifindex, const std::string& what) {
  auto q = qdisc_at(ifindex, TC_H_INGRESS, kIngressHandle, "ingress");
  if (!q) return unexpected(std::move(q).error());
  int err = rtnl_qdisc_add(nl.get(), q->get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) return false;
  if (err < 0) return nl_fail(err, "failed to add the ingress qdisc to " + what);
  return true;
}

Result<bool> delete_ingress_qdisc(Netlink& nl, int ifindex, const std::string& what) {
  auto there = has_qdisc(nl, ifindex, kIngressHandle, "ingress");
  if (!there) return unexpected(there.error().wrap("on " + what));
  if (!*there) return false;
  auto q = qdisc_at(ifindex, TC_H_INGRESS, kIngressHandle, "ingress");
  if (!q) return unexpected(std::move(q).error());
  int err = rtnl_qdisc_delete(nl.get(), q->get());
  if (gone(err)) return false;
  if (err < 0) return nl_fail(err, "failed to delete the ingress qdisc of " + what);
  return true;
}

}  // namespace stack::net
