#pragma once
// The upstream resolvers names outside the stack are forwarded to: the host's
// /etc/resolv.conf nameservers (resolv.conf(5)), or the service's `dns:` list.
// The forwarder runs on the host, so loopback resolvers are reachable; but like Docker,
// when every nameserver of /etc/resolv.conf is a loopback one (systemd-resolved's
// 127.0.0.53 stub), the real upstreams in /run/systemd/resolve/resolv.conf are used
// instead when that file lists any.
#include <sys/socket.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::net::dns {

// Every `nameserver` line with a valid IPv4 or IPv6 address, port 53, in file order.
std::vector<sockaddr_storage> parse_resolv_conf(std::string_view text);
Result<std::vector<sockaddr_storage>> read_resolv_conf(const std::string& path = "/etc/resolv.conf");
// The choice above on the two files' texts (pure; "" for a file that is missing).
std::vector<sockaddr_storage> choose_host_upstreams(std::string_view resolv_conf, std::string_view systemd_resolv_conf);
inline constexpr const char* kSystemdResolvConf = "/run/systemd/resolve/resolv.conf";
// choose_host_upstreams on the files; a missing /etc/resolv.conf gives no upstreams.
std::vector<sockaddr_storage> read_host_upstreams(const std::string& resolv_conf = "/etc/resolv.conf",
                                                  const std::string& systemd_resolv_conf = kSystemdResolvConf);
// "1.1.1.1", "1.1.1.1:5353", "[::1]:53", "::1".
Result<sockaddr_storage> parse_upstream(std::string_view text);

}  // namespace stack::net::dns
