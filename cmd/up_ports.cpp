#include "cmd/up_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

#include "cmd/up_common.hpp"
#include "network/ipam_cidr.hpp"
#include "network/proxy_ports.hpp"

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

}  // namespace

Result<StackPorts> StackPorts::open(uv_loop_t* loop, const model::Project& project, const StackNetwork& network) {
  std::vector<net::PortRequest> requests;
  for (const auto& [name, s] : project.services) {
    if (s.ports.empty()) continue;
    if (!s.network_mode.empty()) return fail("service " + name + ": ports with network_mode are not supported yet");
    for (const auto& p : s.ports) {
      if (p.protocol != "tcp") return fail("service " + name + ": published " + p.protocol + " ports are not supported yet");
      auto range = port_range(p.published);
      if (!range) return unexpected(range.error().wrap("service " + name));
      uint16_t span = range->first ? range->second - range->first : 0;
      requests.push_back({name, p.host_ip, range->first, range->second, static_cast<uint16_t>(p.target),
                          static_cast<uint16_t>(p.target + span), net::Protocol::Tcp});
    }
  }
  StackPorts out;
  if (requests.empty()) return out;
  auto bindings = net::expand_ports(requests);
  if (!bindings) return unexpected(bindings.error());
  auto reserved = net::reserve_ports(*bindings);
  if (!reserved) return unexpected(reserved.error());
  for (auto& r : *reserved) {
    auto it = network.addresses().find(container_name(project.name, r.binding.service, 1));
    if (it == network.addresses().end()) return fail("service " + r.binding.service + " has no address for its ports");
    sockaddr_storage backend{};
    auto* in = reinterpret_cast<sockaddr_in*>(&backend);
    in->sin_family = AF_INET;
    in->sin_port = htons(r.binding.container_port);
    in->sin_addr.s_addr = htonl(it->second.second.value);
    uint16_t published = 0;
    std::string host = host_text(r.binding.host, published);
    auto proxy = net::TcpProxy::start(loop, std::move(r.fd), backend);
    if (!proxy) return unexpected(proxy.error().wrap("service " + r.binding.service + ": " + net::describe_port(r.binding)));
    out.proxies_.push_back(std::move(*proxy));
    out.publishers_[r.binding.service].push_back({{"URL", host},
                                                  {"TargetPort", r.binding.container_port},
                                                  {"PublishedPort", published},
                                                  {"Protocol", "tcp"}});
  }
  return out;
}

nlohmann::json StackPorts::publishers(const std::string& service) const {
  auto it = publishers_.find(service);
  return it == publishers_.end() ? nlohmann::json::array() : it->second;
}

}  // namespace stack::cli
