#pragma once
// Bandwidth limits of a container link as values: parsing tc's units (tc(8) "PARAMETERS",
// iproute2 tc/tc_util.c get_rate64/get_size) and sizing the token bucket that enforces
// them (tc-tbf(8)). Pure: no kernel, so every rule here is unit tested.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

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

// A rate as tc reads it, in bits per second. Case-insensitive units: bit, kbit, mbit,
// gbit, tbit (x1000 steps), kibit, mibit, gibit, tibit (x1024 steps), and bytes per
// second bps, kbps, mbps, gbps, tbps (x1000) and kibps, mibps, gibps, tibps (x1024).
// A bare number is bits per second. Decimals are allowed ("1.5mbit"). Zero, negative,
// garbage, or less than 8 bit/s (tc keeps bytes per second) is an error naming the
// value: `invalid rate "10mbitz": unknown unit "mbitz"`.
Result<std::uint64_t> parse_rate(std::string_view text);

// A size as tc's get_size reads it, in bytes: b, k/kb, m/mb, g/gb (x1024 steps), kbit,
// mbit, gbit (x1024 steps of bits, /8); a bare number is bytes. Zero, negative, garbage
// or more than 4 GiB - 1 is an error naming the value.
Result<std::uint32_t> parse_size(std::string_view text);

// The sub-keys of x-bandwidth: egress, ingress, burst. An unknown sub-key, a bad value
// (the error starts with the sub-key: `egress: invalid rate ...`) or a burst without
// any rate is an error. An empty map is an empty Bandwidth (no limit).
Result<Bandwidth> parse_bandwidth(const std::map<std::string, std::string>& keys);

// Normalised text (what `stack config` prints): rates in bits per second with the unit
// ("10000000bit"), the burst in bytes ("32768b"). Both parse back to the same value.
std::string format_rate(std::uint64_t bps);
std::string format_size(std::uint32_t bytes);
std::map<std::string, std::string> format_bandwidth(const Bandwidth& bw);
// Short human form for tables: the largest SI unit that divides exactly ("10mbit",
// "1536kbit", "12345bit"); it parses back too.
std::string human_rate(std::uint64_t bps);

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
