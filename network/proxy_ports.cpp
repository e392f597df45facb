#include "network/proxy_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "network/uv_udp.hpp"

namespace stack::net {

namespace {

void set_port(sockaddr_storage& ss, std::uint16_t port) {
  if (ss.ss_family == AF_INET6)
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
  else
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
}

Result<void> check_range(const PortRequest& r) {
  std::string what = "ports of service " + r.service + ": ";
  if (r.container_first == 0 || r.container_last < r.container_first)
    return fail(what + "invalid container port range");
  if (r.host_first == 0 && r.host_last != 0) return fail(what + "invalid host port range");
  if (r.host_first != 0) {
    if (r.host_last < r.host_first) return fail(what + "invalid host port range");
    if (r.host_last - r.host_first != r.container_last - r.container_first)
      return fail(what + "host range " + std::to_string(r.host_first) + "-" + std::to_string(r.host_last) +
                  " and container range " + std::to_string(r.container_first) + "-" + std::to_string(r.container_last) +
                  " differ in length");
  }
  return {};
}

Result<UniqueFd> bind_one(const PortBinding& b, sockaddr_storage& bound) {
  const auto* addr = reinterpret_cast<const sockaddr*>(&b.host);
  int type = b.protocol == Protocol::Tcp ? SOCK_STREAM : SOCK_DGRAM;
  UniqueFd fd(::socket(addr->sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno("socket");
  int on = 1;
  // TCP: as every server does, so a port in TIME_WAIT from a previous run is usable (tcp(7)).
  if (b.protocol == Protocol::Tcp && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
    return fail_errno("setsockopt SO_REUSEADDR");
  if (addr->sa_family == AF_INET6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0)
    return fail_errno("setsockopt IPV6_V6ONLY");
  if (::bind(fd.get(), addr, sockaddr_len(addr)) < 0) return fail_errno("bind");
  // Listening now closes the window in which another socket with SO_REUSEADDR could
  // bind the same port; connections that arrive early wait in the backlog.
  if (b.protocol == Protocol::Tcp && ::listen(fd.get(), SOMAXCONN) < 0) return fail_errno("listen");
  socklen_t len = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) < 0) return fail_errno("getsockname");
  return fd;
}

}  // namespace

Result<std::vector<PortBinding>> expand_ports(const std::vector<PortRequest>& requests) {
  std::vector<PortBinding> out;
  for (const auto& r : requests) {
    STACK_TRY(check_range(r));
    auto host = make_sockaddr(r.host_ip.empty() ? "0.0.0.0" : r.host_ip, 0);
    if (!host) return unexpected(host.error().wrap("ports of service " + r.service));
    // Like Docker, an unspecified host address means IPv6 too; with a kernel-picked
    // port the two families would get different ports, so then only IPv4.
    bool twin = r.host_ip.empty() && r.host_first != 0;
    for (std::uint32_t i = 0; i <= std::uint32_t{r.container_last} - r.container_first; ++i) {
      PortBinding b{r.service, *host, static_cast<std::uint16_t>(r.container_first + i), r.protocol};
      if (r.host_first != 0) set_port(b.host, static_cast<std::uint16_t>(r.host_first + i));
      out.push_back(b);
      if (!twin) continue;
      b.host = *make_sockaddr("::", static_cast<std::uint16_t>(r.host_first + i));
      b.optional = true;
      out.push_back(std::move(b));
    }
  }
  return out;
}

std::string describe_port(const PortBinding& b) {
  return format_sockaddr(reinterpret_cast<const sockaddr*>(&b.host)) + (b.protocol == Protocol::Tcp ? "/tcp" : "/udp");
}

Result<std::vector<ReservedPort>> reserve_ports(const std::vector<PortBinding>& bindings) {
  std::vector<ReservedPort> out;
  for (const auto& b : bindings) {
    sockaddr_storage bound{};
    auto fd = bind_one(b, bound);
    if (!fd && b.optional && (fd.error().code == EAFNOSUPPORT || fd.error().code == EADDRNOTAVAIL)) continue;
    if (!fd) {
      std::string what = "port " + describe_port(b) + " for service " + b.service;
      if (fd.error().code == EADDRINUSE) return unexpected(Error{EADDRINUSE, what + " is already in use"});
      if (fd.error().code == EADDRNOTAVAIL)
        return unexpected(Error{EADDRNOTAVAIL, what + ": the host has no such address"});
      return unexpected(fd.error().wrap(what));
    }
    ReservedPort r{b, std::move(*fd)};
    r.binding.host = bound;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace stack::net
