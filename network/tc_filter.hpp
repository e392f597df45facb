#pragma once
// The one filter a bandwidth limit needs: on a link's ingress hook, every packet
// (u32 with one key that matches all, tc-u32(8)) is redirected to the egress of another
// device (act_mirred, tc-mirred(8)), typically an ifb (ifb(4)) whose root qdisc then
// shapes it. Over rtnetlink with libnl-route-3 (RTM_NEWTFILTER, net/sched/cls_api.c).
// (cls_matchall would do as well, but not every kernel builds it; u32 is everywhere.)
#include <cstdint>
#include <string>

#include "engine/base/result.hpp"
#include "network/netlink.hpp"

namespace stack::net {

// The priority our filter sits at on the ingress qdisc: one filter chain we own.
inline constexpr std::uint16_t kRedirectPrio = 0x5346;

// Where the redirect filter on `ifindex`'s ingress points, if there is one at our
// priority: the target's ifindex (0 if a filter is there without a mirred action).
struct RedirectInfo {
  bool present = false;
  int target_ifindex = 0;
};
Result<RedirectInfo> find_redirect(Netlink& nl, int ifindex);

// Adds the filter (the link needs its ingress qdisc, tc.hpp add_ingress_qdisc): every
// packet the link receives goes to `target_ifindex`'s egress instead (TCA_EGRESS_REDIR,
// verdict TC_ACT_STOLEN). `what` names the link for errors.
Result<void> add_redirect(Netlink& nl, int ifindex, int target_ifindex, const std::string& what);

// Deletes our filter chain at kRedirectPrio. false if there was none.
Result<bool> delete_redirect(Netlink& nl, int ifindex, const std::string& what);

}  // namespace stack::net
