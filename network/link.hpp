#pragma once
// Generic link operations over rtnetlink (rtnetlink(7)): look up, bring up, delete.
// Kind-specific creation lives in link_bridge.hpp and link_veth.hpp; addresses and
// routes in link_route.hpp.
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "network/netlink.hpp"

namespace stack::net {

class Netns;

// The link called `name` in the socket's netns, or nullopt if there is none.
Result<std::optional<LinkPtr>> find_link(Netlink& nl, std::string_view name);
// As find_link, but a missing link is an error naming it.
Result<LinkPtr> get_link(Netlink& nl, std::string_view name);
// Its index (ifindex), or an error naming it.
Result<int> ifindex_of(Netlink& nl, std::string_view name);
// The kind the kernel reports (IFLA_INFO_KIND: "bridge", "veth", ...), "" if none.
std::string link_kind(rtnl_link* link);

// Sets IFF_UP; true if the link was down.
Result<bool> set_link_up(Netlink& nl, std::string_view name);
// Sets IFF_UP on the link with this index without looking it up first (one round trip;
// `name` only for errors). A netns's loopback is always kLoopbackIndex (LOOPBACK_IFINDEX).
Result<void> set_link_up(Netlink& nl, int ifindex, std::string_view name);
inline constexpr int kLoopbackIndex = 1;
// Deletes the link if it exists and is of `kind` (so a name clash never deletes a
// stranger's link). false if it was already gone (style.md rule 8).
Result<bool> delete_link(Netlink& nl, std::string_view name, std::string_view kind);
// Deletes the link with this index (found before, e.g. by find_link): a link made
// since under the same name is left alone. false if it was already gone. `what`
// names it in errors. It blocks for RCU grace periods (~20 ms here): off the loop.
Result<bool> delete_link_index(Netlink& nl, int ifindex, std::string_view what);

// Brings `lo` up inside `ns`: all that network_mode none needs.
Result<bool> bring_up_loopback(const Netns& ns);

}  // namespace stack::net
