#include "network/dns_upstream.hpp"

#include <charconv>
#include <sstream>

#include "engine/base/file.hpp"
#include "network/uv_udp.hpp"

namespace stack::net::dns {

std::vector<sockaddr_storage> parse_resolv_conf(std::string_view text) {
  std::vector<sockaddr_storage> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    // A zone index (fe80::1%eth0) names a host interface; we only take plain addresses.
    auto addr = make_sockaddr(value, 53);
    if (addr) out.push_back(*addr);
  }
  return out;
}

Result<std::vector<sockaddr_storage>> read_resolv_conf(const std::string& path) {
  auto text = read_file(path);
  if (!text) return unexpected(std::move(text).error());
  return parse_resolv_conf(*text);
}

Result<sockaddr_storage> parse_upstream(std::string_view text) {
  std::string host(text);
  std::uint16_t port = 53;
  auto colon = text.rfind(':');
  bool bracketed = !text.empty() && text.front() == '[';
  bool has_port =
      colon != std::string_view::npos && (bracketed ? colon > 0 && text[colon - 1] == ']' : text.find(':') == colon);
  if (has_port) {
    std::string_view p = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port == 0)
      return fail("invalid DNS server '" + std::string(text) + "': bad port");
    host = std::string(text.substr(0, colon));
  }
  auto addr = make_sockaddr(host, port);
  if (!addr) return fail("invalid DNS server '" + std::string(text) + "': not an IP address");
  return addr;
}

}  // namespace stack::net::dns
