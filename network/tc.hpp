#pragma once
// Queueing disciplines over rtnetlink with libnl-route-3 (tc(8), tc-tbf(8),
// tc-ingress: RTM_NEWQDISC/RTM_DELQDISC, net/sched/sch_api.c). Plain values in: an
// ifindex and the numbers; the caller's Netlink picks the netns. Filters and actions
// are in tc_filter.hpp, what a bandwidth limit puts where in bandwidth_apply.hpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "network/bandwidth.hpp"
#include "network/netlink.hpp"

struct rtnl_qdisc;
struct rtnl_cls;
struct rtnl_act;

namespace stack::net {

struct TcDeleter {
  void operator()(rtnl_qdisc* p) const noexcept;
  void operator()(rtnl_cls* p) const noexcept;
  void operator()(rtnl_act* p) const noexcept;
};
using QdiscPtr = std::unique_ptr<rtnl_qdisc, TcDeleter>;
using ClsPtr = std::unique_ptr<rtnl_cls, TcDeleter>;
using ActPtr = std::unique_ptr<rtnl_act, TcDeleter>;

// The handle of every root qdisc we make ("5346:", ASCII "SF"): teardown deletes a
// root qdisc only when it carries it, so a qdisc someone else put there is never ours.
inline constexpr std::uint32_t kStackQdiscHandle = 0x53460000U;
// The ingress qdisc's fixed handle "ffff:" (TC_H_MAKE(TC_H_INGRESS, 0)).
inline constexpr std::uint32_t kIngressHandle = 0xffff0000U;

// What a dump says about one qdisc, for checks and tests.
struct QdiscInfo {
  std::string kind;  // "tbf", "ingress", "noqueue", ...
  std::uint32_t handle = 0;
  std::uint32_t parent = 0;
  std::uint64_t bytes = 0;  // sent through it since it was created (RTNL_TC_BYTES)
  std::uint64_t packets = 0;
  std::uint64_t drops = 0;
  std::optional<std::uint32_t> tbf_rate_bytes;  // set for tbf
  std::optional<std::uint32_t> tbf_limit_bytes;
};

// Every qdisc on the link `ifindex` (one RTM_GETQDISC dump of the netns).
Result<std::vector<QdiscInfo>> list_qdiscs(Netlink& nl, int ifindex);

// Creates the root tbf (handle kStackQdiscHandle) or changes the one there in place:
// NLM_F_CREATE|NLM_F_REPLACE with the same handle and kind makes the kernel call
// qdisc_change() on the existing qdisc, so queued packets and counters survive and the
// link never goes without its limit. `what` names the link for errors.
Result<void> replace_root_tbf(Netlink& nl, int ifindex, const TbfShape& shape, const std::string& what);

// Deletes the root qdisc if it is ours (kStackQdiscHandle); the link falls back to its
// default qdisc. false if there was none of ours.
Result<bool> delete_root_tbf(Netlink& nl, int ifindex, const std::string& what);

// Adds the ingress qdisc (sch_ingress, "ffff:"), the hook for filters on received
// packets. false if the link already has one.
Result<bool> add_ingress_qdisc(Netlink& nl, int ifindex, const std::string& what);
// Deletes it together with every filter attached to it. false if there was none.
Result<bool> delete_ingress_qdisc(Netlink& nl, int ifindex, const std::string& what);

}  // namespace stack::net
