#pragma once
// Bandwidth limits of a container link as numbers, and sizing the token bucket that
// enforces them (tc-tbf(8)). Pure: no kernel, so every rule here is unit tested. The
// text form (tc's units) is read by the model (engine/model/tc_units.hpp).
#include <cstdint>
#include <optional>
#include <string>

#include "engine/base/result.hpp"

namespace stack::net {

// `x-bandwidth` of a service or of one of its networks. Directions are the container's:
// egress = out of the container, ingress = into it.
struct Bandwidth {
  std::optional<std::uint64_t> egress_bps;   // bits per second
  std::optional<std::uint64_t> ingress_bps;  // bits per second
  std::optional<std::uint32_t> burst_bytes;  // both directions; default_burst() if unset

  bool empty() const { return !egress_bps && !ingress_bps; }
  friend bool operator==(const Bandwidth&, const Bandwidth&) = default;
};

// Short human forms for tables and messages, in tc's units: a rate in the largest SI
// unit that divides it exactly ("10mbit", "1536kbit", "12345bit"), a size in bytes
// ("3028b"). Both are valid x-bandwidth values again.
std::string human_rate(std::uint64_t bps);
std::string human_size(std::uint32_t bytes);

// The largest frame a link of this MTU puts in a qdisc: the MTU plus the Ethernet
// header (skb->len at a qdisc of an Ethernet device includes it).
std::uint32_t frame_bytes(unsigned mtu);

// The burst used when none is given: 10 ms worth of the rate (tc-tbf(8): the bucket
// must hold at least rate/HZ, and HZ=100 is the slowest common tick), but never less
// than two full frames, since tbf drops every packet larger than its bucket.
std::uint32_t default_burst(std::uint64_t rate_bps, unsigned mtu = 1500);

// How long a full queue may delay a packet; the queue limit follows from it.
inline constexpr std::uint32_t kQueueLatencyMs = 50;

// One direction's token bucket filter (tc-tbf(8)), as it goes to the kernel.
struct TbfShape {
  std::uint32_t rate_bytes;   // per second
  std::uint32_t burst_bytes;  // the bucket
  std::uint32_t limit_bytes;  // the queue: burst + kQueueLatencyMs of the rate, >= 4 frames
  friend bool operator==(const TbfShape&, const TbfShape&) = default;
};

// The shape for a rate in bits per second on a link of `mtu`. Errors (naming the value)
// when tbf cannot express it: a rate above 2^31-1 bytes per second (libnl's tbf takes
// an int), a burst smaller than one full frame, or a burst so large for the rate that
// its refill time overflows tbf's 32-bit buffer time (about 274 s).
Result<TbfShape> tbf_shape(std::uint64_t rate_bps, std::optional<std::uint32_t> burst, unsigned mtu);

}  // namespace stack::net
