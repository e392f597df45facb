#include "network/dns_upstream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

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

namespace {

bool loopback(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr) >> 24) == 127;
  return a.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
}

}  // namespace

std::vector<sockaddr_storage> choose_host_upstreams(std::string_view resolv_conf, std::string_view systemd_resolv_conf) {
  auto host = parse_resolv_conf(resolv_conf);
  bool all_loopback = !host.empty();
  for (const auto& a : host) all_loopback = all_loopback && loopback(a);
  if (!all_loopback) return host;
  auto real = parse_resolv_conf(systemd_resolv_conf);
  std::erase_if(real, loopback);
  return real.empty() ? host : real;
}

std::vector<sockaddr_storage> read_host_upstreams(const std::string& resolv_conf, const std::string& systemd_resolv_conf) {
  auto text = read_file(resolv_conf);
  auto systemd = read_file(systemd_resolv_conf);
  return choose_host_upstreams(text ? *text : "", systemd ? *systemd : "");
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
