#pragma once
// IPv4 addresses and prefixes as plain values (host byte order), with the parsing,
// formatting and arithmetic IPAM needs. Pure: no kernel, unit tested.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::net {

struct Ipv4 {
  std::uint32_t value = 0;  // host byte order: 10.0.0.1 == 0x0a000001
  auto operator<=>(const Ipv4&) const = default;
};

struct Cidr {
  Ipv4 address;    // as written; network() masks the host bits off
  int prefix = 0;  // 0..32
  auto operator<=>(const Cidr&) const = default;

  std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
  Ipv4 network() const { return Ipv4{address.value & mask()}; }
  Ipv4 broadcast() const { return Ipv4{network().value | ~mask()}; }
  // Number of addresses in the prefix (2^(32-prefix)).
  std::uint64_t size() const { return std::uint64_t{1} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == network().value; }
  bool overlaps(const Cidr& o) const {
    int p = prefix < o.prefix ? prefix : o.prefix;
    std::uint32_t m = p == 0 ? 0 : ~std::uint32_t{0} << (32 - p);
    return (address.value & m) == (o.address.value & m);
  }
  // The n-th address of the network (n = 1 is the first usable host of a /24).
  Ipv4 host(std::uint32_t n) const { return Ipv4{network().value + n}; }
  // Usable for an interface: not the network or broadcast address (for prefixes < 31).
  bool usable_host(Ipv4 a) const {
    if (!contains(a)) return false;
    if (prefix >= 31) return true;
    return a != network() && a != broadcast();
  }
};

Result<Ipv4> parse_ipv4(std::string_view text);
// "10.89.0.0/24"; the host bits may be set ("10.89.0.1/24") unless strict.
Result<Cidr> parse_cidr(std::string_view text, bool strict = false);
std::string format(Ipv4 a);
std::string format(const Cidr& c);

// The first subnet of `prefix` bits inside `pool` that overlaps none of `taken`,
// scanning in address order; nullopt when the pool is exhausted.
template <typename Range>
std::optional<Cidr> next_free_subnet(const Cidr& pool, int prefix, const Range& taken) {
  if (prefix < pool.prefix || prefix > 32) return std::nullopt;
  std::uint64_t step = std::uint64_t{1} << (32 - prefix);
  std::uint64_t end = std::uint64_t{pool.network().value} + pool.size();
  for (std::uint64_t a = pool.network().value; a < end; a += step) {
    Cidr cand{Ipv4{static_cast<std::uint32_t>(a)}, prefix};
    bool clash = false;
    for (const Cidr& t : taken) {
      if (cand.overlaps(t)) {
        clash = true;
        break;
      }
    }
    if (!clash) return cand;
  }
  return std::nullopt;
}

}  // namespace stack::net
