#include "network/ipam_cidr.hpp"

#include <charconv>

namespace stack::net {

Result<Ipv4> parse_ipv4(std::string_view text) {
  std::uint32_t v = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return fail("invalid IPv4 address '" + std::string(text) + "'");
      ++p;
    }
    // Digits only, 1..3 of them, no leading zeros (inet_aton would read "010" as octal).
    const char* start = p;
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc{} || next == start || next - start > 3 || octet > 255 || (next - start > 1 && *start == '0'))
      return fail("invalid IPv4 address '" + std::string(text) + "'");
    p = next;
    v = (v << 8) | octet;
  }
  if (p != end) return fail("invalid IPv4 address '" + std::string(text) + "'");
  return Ipv4{v};
}

Result<Cidr> parse_cidr(std::string_view text, bool strict) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail("invalid subnet '" + std::string(text) + "': expected ADDRESS/PREFIX");
  auto addr = parse_ipv4(text.substr(0, slash));
  if (!addr) return unexpected(addr.error().wrap("invalid subnet '" + std::string(text) + "'"));
  std::string_view ptext = text.substr(slash + 1);
  int prefix = -1;
  auto [next, ec] = std::from_chars(ptext.data(), ptext.data() + ptext.size(), prefix);
  if (ec != std::errc{} || next != ptext.data() + ptext.size() || ptext.empty() || ptext.size() > 2 || prefix < 0 ||
      prefix > 32)
    return fail("invalid subnet '" + std::string(text) + "': prefix length must be 0..32");
  Cidr c{*addr, prefix};
  if (strict && c.network() != c.address)
    return fail("invalid subnet '" + std::string(text) + "': host bits set (did you mean " +
                format(Cidr{c.network(), prefix}) + "?)");
  return c;
}

std::string format(Ipv4 a) {
  return std::to_string(a.value >> 24) + "." + std::to_string((a.value >> 16) & 0xff) + "." +
         std::to_string((a.value >> 8) & 0xff) + "." + std::to_string(a.value & 0xff);
}

std::string format(const Cidr& c) { return format(c.address) + "/" + std::to_string(c.prefix); }

}  // namespace stack::net
