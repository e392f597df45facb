#include "cmd/up_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdio>

#include "cmd/up_common.hpp"
#include "network/ipam_cidr.hpp"

namespace stack::cli {
namespace {

Result<std::pair<uint16_t, uint16_t>> port_range(const std::string& text) {
  if (text.empty()) return std::pair<uint16_t, uint16_t>{0, 0};
  auto dash = text.find('-');
  std::string a = text.substr(0, dash), b = dash == std::string::npos ? a : text.substr(dash + 1);
  uint16_t first = 0, last = 0;
  auto r1 = std::from_chars(a.data(), a.data() + a.size(), first);
  auto r2 = std::from_chars(b.data(), b.data() + b.size(), last);
  if (r1.ec != std::errc() || r2.ec != std::errc() || first == 0 || last < first)
    return fail("invalid published port '" + text + "'");
  return std::pair<uint16_t, uint16_t>{first, last};
}

std::string host_text(const sockaddr_storage& s, uint16_t& port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (s.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&s);
    ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    port = ntohs(in->sin_port);
  } else {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&s);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    port = ntohs(in6->sin6_port);
  }
  return buf;
}

// One port entry, reserved: a range for one container port takes its first free port.
Result<std::vector<net::ReservedPort>> reserve(const std::string& service, const model::Port& p) {
  auto range = port_range(p.published);
  if (!range) return unexpected(range.error().wrap("service " + service));
  auto proto = p.protocol == "udp" ? net::Protocol::Udp : net::Protocol::Tcp;
  auto target = static_cast<uint16_t>(p.target);
  Error last{0, ""};
  for (uint32_t port = range->first; port <= range->second; ++port) {
    auto host = static_cast<uint16_t>(port);
    auto bindings = net::expand_ports({{service, p.host_ip, host, host, target, target, proto}});
    if (!bindings) return unexpected(bindings.error());
    auto reserved = net::reserve_ports(*bindings);
    if (reserved || range->first == range->second) return reserved;
    last = reserved.error();
  }
  return unexpected(last.wrap("no free port in " + p.published));
}

}  // namespace

Result<StackPorts> StackPorts::open(uv_loop_t* loop, const model::Project& project, const StackNetworks* networks) {
  std::vector<net::ReservedPort> reserved;
  StackPorts out;
  for (const auto& [name, s] : project.services) {
    for (const auto& e : s.expose) {  // "80", "8000-8002", "53/udp": checked by the loader
      auto slash = e.find('/');
      auto range = port_range(e.substr(0, slash));
      if (!range) return unexpected(range.error().wrap("service " + name + ": expose"));
      for (uint32_t port = range->first; port <= range->second; ++port)
        out.publishers_[name].push_back({{"URL", ""},
                                         {"TargetPort", port},
                                         {"PublishedPort", 0},
                                         {"Protocol", slash == std::string::npos ? "tcp" : e.substr(slash + 1)}});
    }
    if (s.ports.empty()) continue;
    if (s.network_mode == "host") {
      std::fprintf(stderr, "supervisor: warning: service %s: published ports are discarded with network_mode host\n",
                   name.c_str());
      continue;
    }
    if (!s.network_mode.empty())
      return fail("service " + name + ": ports cannot be published with network_mode " + s.network_mode);
    for (const auto& p : s.ports) {
      if (p.protocol != "tcp" && p.protocol != "udp")
        return fail("service " + name + ": published " + p.protocol + " ports are not supported");
      auto r = reserve(name, p);
      if (!r) return unexpected(r.error());
      for (auto& x : *r) reserved.push_back(std::move(x));
    }
  }
  if (!reserved.empty()) {
    if (!networks) return fail("published ports without a network");
    STACK_TRY(out.start(loop, project, *networks, std::move(reserved)));
  }
  return out;
}

Result<void> StackPorts::start(uv_loop_t* loop, const model::Project& project, const StackNetworks& networks,
                               std::vector<net::ReservedPort> reserved) {
  for (auto& r : reserved) {
    auto ip = networks.address(container_name(project.name, r.binding.service, 1));
    if (!ip) return fail("service " + r.binding.service + " has no address for its ports");
    sockaddr_storage backend{};
    auto* in = reinterpret_cast<sockaddr_in*>(&backend);
    in->sin_family = AF_INET;
    in->sin_port = htons(r.binding.container_port);
    in->sin_addr.s_addr = htonl(ip->value);
    uint16_t published = 0;
    std::string host = host_text(r.binding.host, published);
    std::string what = "service " + r.binding.service + ": " + net::describe_port(r.binding);
    bool udp = r.binding.protocol == net::Protocol::Udp;
    if (udp) {
      auto proxy = net::UdpProxy::start(loop, std::move(r.fd), backend);
      if (!proxy) return unexpected(proxy.error().wrap(what));
      udp_.push_back(std::move(*proxy));
    } else {
      auto proxy = net::TcpProxy::start(loop, std::move(r.fd), backend);
      if (!proxy) return unexpected(proxy.error().wrap(what));
      tcp_.push_back(std::move(*proxy));
    }
    publishers_[r.binding.service].push_back({{"URL", host},
                                              {"TargetPort", r.binding.container_port},
                                              {"PublishedPort", published},
                                              {"Protocol", udp ? "udp" : "tcp"}});
  }
  return {};
}

nlohmann::json StackPorts::publishers(const std::string& service, bool first) const {
  auto it = publishers_.find(service);
  if (it == publishers_.end()) return nlohmann::json::array();
  if (first) return it->second;
  auto out = nlohmann::json::array();
  for (const auto& p : it->second)
    if (p.value("PublishedPort", 0) == 0) out.push_back(p);
  return out;
}

}  // namespace stack::cli
