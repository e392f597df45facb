#pragma once
// Enforcing a Bandwidth on a container's link, all of it on the HOST side of the veth
// pair, so a container cannot undo it even with CAP_NET_ADMIN in its own netns (its
// capabilities reach only the objects of its own netns, not the host end's qdiscs):
//
//   into the container (ingress) = what the host end sends: a tbf at the host end's root.
//   out of the container (egress) = what the host end receives: an ingress qdisc on the
//     host end with a u32 match-all filter whose mirred action redirects every packet to
//     the egress of an ifb device (ifb(4)) made for this link, with a tbf at its root.
//     After the tbf, ifb hands each packet back to the host end's receive path, which
//     then skips the ingress hook (skb->from_ingress, drivers/net/ifb.c), so no loop.
//
// Every call takes the caller's Netlink (the host netns) and plain names.
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "network/bandwidth.hpp"
#include "network/netlink.hpp"

namespace stack::net {

// Every ifb device a stack makes starts with this.
inline constexpr std::string_view kIfbPrefix = "sf";

// "sf" + 13 hex digits of a hash of the host end's name: 15 bytes (IFNAMSIZ), the same
// for the same link every time, so teardown finds it from the name alone.
std::string ifb_name(std::string_view host_veth);

// Makes the link's limits what `bw` says, creating, changing in place or removing
// what each direction needs: a direction left out loses its limit; an empty Bandwidth
// removes everything. Changing a rate replaces only the tbf parameters (NLM_F_REPLACE,
// tc.hpp), so the link, the ifb, the redirect and open connections stay. Shaping is in
// place before the call returns. Errors name the link and the value the kernel refused.
Result<void> apply_bandwidth(Netlink& nl, std::string_view host_veth, const Bandwidth& bw);

// What the kernel enforces on the link now, read back from our tbf qdiscs (and, for
// egress, the redirect that feeds the ifb): rates in bits per second, whole bytes per
// second times 8 (tbf keeps bytes). burst_bytes stays unset: the kernel keeps the
// bucket as a refill time, and reading it back only approximates the bytes. Empty if
// the link has no limits.
Result<Bandwidth> read_bandwidth(Netlink& nl, std::string_view host_veth);

// Removes every limit object of the link: the host end's root tbf (only ours, handle
// 5346:) and ingress qdisc with its filter, and the ifb device (only if it is an ifb).
// true if anything was removed, false if all were already gone (also when the veth
// itself is gone: its qdiscs died with it; the ifb does not, and is still removed).
Result<bool> remove_bandwidth(Netlink& nl, std::string_view host_veth, std::string_view ifb);

// For the teardown journal (style.md rule 7): record "bandwidth <host end> <ifb>"
// before apply_bandwidth; replay calls this in the caller's (host) netns. Replay the
// bandwidth record before the veth's: deleting the veth does not delete the ifb.
Result<bool> teardown_bandwidth(std::string_view host_veth, std::string_view ifb);

}  // namespace stack::net
