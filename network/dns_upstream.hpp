#pragma once
// The upstream resolvers names outside the stack are forwarded to: the host's
// /etc/resolv.conf nameservers (resolv.conf(5)), or the service's `dns:` list.
// The forwarder runs on the host, so loopback resolvers (systemd-resolved's
// 127.0.0.53) are reachable and kept.
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::net::dns {

// Every `nameserver` line with a valid IPv4 or IPv6 address, port 53, in file order.
std::vector<sockaddr_storage> parse_resolv_conf(std::string_view text);
Result<std::vector<sockaddr_storage>> read_resolv_conf(const std::string& path = "/etc/resolv.conf");
// "1.1.1.1", "1.1.1.1:5353", "[::1]:53", "::1".
Result<sockaddr_storage> parse_upstream(std::string_view text);

}  // namespace stack::net::dns
