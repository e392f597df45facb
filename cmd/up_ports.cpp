#include "cmd/up_ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdio>
#include <set>

#include "cmd/up_common.hpp"
#include "network/ipam_cidr.hpp"

namespace stack::cli {

struct StackPorts::Held {
  std::string base;          // the key without its "@k" (an entry's IPv6 twin shares it)
  std::string service;
  uint16_t target = 0;
  uint64_t index = 0;        // per replica: its n; 0: shared by the service's replicas
  net::Protocol protocol = net::Protocol::Tcp;
  nlohmann::json publisher;  // {URL, TargetPort, PublishedPort, Protocol}
  UniqueFd fd;               // bound, until commit hands it to the proxy
  std::unique_ptr<net::TcpProxy> tcp;
  std::unique_ptr<net::UdpProxy> udp;
  uint64_t next = 0;         // round robin over the running replicas
};

StackPorts::Change::Change() = default;
StackPorts::Change::Change(Change&&) noexcept = default;
StackPorts::Change& StackPorts::Change::operator=(Change&&) noexcept = default;
StackPorts::Change::~Change() = default;

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

net::Protocol protocol_of(const model::Port& p) { return p.protocol == "udp" ? net::Protocol::Udp : net::Protocol::Tcp; }

// A per-replica entry, reserved: a range for one container port takes its first free
// port (ports this stack holds already are in use too, so replicas get distinct ones).
Result<std::vector<net::ReservedPort>> reserve_own(const std::string& service, const model::Port& p,
                                                   std::pair<uint16_t, uint16_t> range) {
  auto target = static_cast<uint16_t>(p.target);
  Error last{0, ""};
  for (uint32_t port = range.first; port <= range.second; ++port) {
    auto host = static_cast<uint16_t>(port);
    auto bindings = net::expand_ports({{service, p.host_ip, host, host, target, target, protocol_of(p)}});
    if (!bindings) return unexpected(bindings.error());
    auto reserved = net::reserve_ports(*bindings);
    if (reserved || range.first == range.second) return reserved;
    last = reserved.error();
  }
  return unexpected(last.wrap("no free port in " + p.published));
}

nlohmann::json exposed_of(const std::string& name, const model::Service& s) {
  auto out = nlohmann::json::array();
  for (const auto& e : s.expose) {  // "80", "8000-8002", "53/udp": checked by the loader
    auto slash = e.find('/');
    auto range = port_range(e.substr(0, slash));
    if (!range) {
      std::fprintf(stderr, "supervisor: service %s: expose: %s\n", name.c_str(), range.error().message.c_str());
      continue;
    }
    for (uint32_t port = range->first; port <= range->second; ++port)
      out.push_back({{"URL", ""},
                     {"TargetPort", port},
                     {"PublishedPort", 0},
                     {"Protocol", slash == std::string::npos ? "tcp" : e.substr(slash + 1)}});
  }
  return out;
}

std::unique_ptr<StackPorts::Held> held_of(net::ReservedPort r, std::string base, uint64_t index) {
  auto h = std::make_unique<StackPorts::Held>();
  h->base = std::move(base);
  h->service = r.binding.service;
  h->target = r.binding.container_port;
  h->index = index;
  h->protocol = r.binding.protocol;
  uint16_t published = 0;
  std::string host = host_text(r.binding.host, published);
  h->publisher = {{"URL", host},
                  {"TargetPort", r.binding.container_port},
                  {"PublishedPort", published},
                  {"Protocol", r.binding.protocol == net::Protocol::Udp ? "udp" : "tcp"}};
  h->fd = std::move(r.fd);
  return h;
}

}  // namespace

StackPorts::StackPorts(uv_loop_t* loop, PortBackends backends) : loop_(loop), backends_(std::move(backends)) {}
StackPorts::~StackPorts() = default;

Result<StackPorts::Change> StackPorts::prepare(const std::map<std::string, PortService>& services) const {
  Change c;
  std::map<std::string, std::string> wanted;  // base key -> service
  auto add = [&](std::vector<net::ReservedPort> reserved, const std::string& base, uint64_t index) {
    for (std::size_t k = 0; k < reserved.size(); ++k)  // an entry's IPv6 twin is its "@1"
      c.add.emplace_back(base + "@" + std::to_string(k), held_of(std::move(reserved[k]), base, index));
  };
  for (const auto& [name, ps] : services) {
    const model::Service& s = *ps.spec;
    c.exposed[name] = exposed_of(name, s);
    if (s.ports.empty() || ps.replicas == 0) continue;
    if (s.network_mode == "host") {
      std::fprintf(stderr, "supervisor: warning: service %s: published ports are discarded with network_mode host\n",
                   name.c_str());
      continue;
    }
    if (!s.network_mode.empty())
      return fail("service " + name + ": ports cannot be published with network_mode " + s.network_mode);
    if (!backends_.networks) return fail("service " + name + ": published ports without a network");
    for (const auto& p : s.ports) {
      if (p.protocol != "tcp" && p.protocol != "udp")
        return fail("service " + name + ": published " + p.protocol + " ports are not supported");
      auto range = port_range(p.published);
      if (!range) return unexpected(range.error().wrap("service " + name));
      auto target = static_cast<uint16_t>(p.target);
      if (range->first != 0 && range->first == range->second) {  // shared by the replicas
        auto bindings = net::expand_ports({{name, p.host_ip, range->first, range->first, target, target, protocol_of(p)}});
        if (!bindings) return unexpected(bindings.error());
        for (const auto& b : *bindings) {
          std::string base = "shared " + net::describe_port(b);
          if (auto [at, fresh] = wanted.emplace(base, name); !fresh)
            return fail("port " + net::describe_port(b) + " for service " + name + " is already in use (by service " +
                        at->second + ")");
          if (auto h = held_.find(base + "@0"); h != held_.end()) {
            if (h->second->service != name || h->second->target != target) c.retarget[base] = {name, target};
            continue;
          }
          auto reserved = net::reserve_ports({b});
          if (!reserved) return unexpected(reserved.error());
          add(std::move(*reserved), base, 0);
        }
        continue;
      }
      for (uint64_t n = 1; n <= ps.replicas; ++n) {
        std::string base = name + "#" + std::to_string(n) + " " + p.host_ip + ":" + p.published + ":" +
                           std::to_string(target) + "/" + p.protocol;
        wanted.emplace(base, name);
        if (held_.count(base + "@0")) continue;
        auto reserved = reserve_own(name, p, *range);
        if (!reserved) return unexpected(reserved.error().wrap("replica " + std::to_string(n)));
        add(std::move(*reserved), base, n);
      }
    }
  }
  for (const auto& [key, h] : held_)
    if (!wanted.count(h->base)) c.drop.push_back(key);
  return c;
}

Result<void> StackPorts::commit(Change change) {
  for (const auto& key : change.drop) held_.erase(key);
  for (const auto& [base, to] : change.retarget)
    for (auto it = held_.lower_bound(base + "@"); it != held_.end() && it->second->base == base; ++it) {
      it->second->service = to.first;
      it->second->target = to.second;
      it->second->publisher["TargetPort"] = to.second;
    }
  exposed_ = std::move(change.exposed);
  Result<void> out;
  for (auto& [key, h] : change.add) {
    Held* raw = h.get();
    net::BackendPicker picker = [this, raw] { return pick(*raw); };
    std::string what = "service " + h->service + ": port " + h->publisher.value("URL", "") + ":" +
                       std::to_string(h->publisher.value("PublishedPort", 0));
    if (h->protocol == net::Protocol::Udp) {
      auto proxy = net::UdpProxy::start(loop_, std::move(h->fd), std::move(picker), {});
      if (!proxy && out) out = unexpected(proxy.error().wrap(what));
      if (proxy) h->udp = std::move(*proxy);
    } else {
      auto proxy = net::TcpProxy::start(loop_, std::move(h->fd), std::move(picker), {});
      if (!proxy && out) out = unexpected(proxy.error().wrap(what));
      if (proxy) h->tcp = std::move(*proxy);
    }
    if (h->tcp || h->udp) held_.emplace(key, std::move(h));
  }
  return out;
}

std::optional<sockaddr_storage> StackPorts::pick(Held& h) const {
  std::vector<uint64_t> candidates{h.index};
  if (h.index == 0) candidates = backends_.running ? backends_.running(h.service) : std::vector<uint64_t>{};
  for (std::size_t tries = 0; tries < candidates.size(); ++tries) {
    uint64_t n = candidates[h.next++ % candidates.size()];
    auto ip = backends_.networks ? backends_.networks->address(container_name(backends_.project, h.service, n))
                                 : std::nullopt;
    if (!ip) continue;
    sockaddr_storage backend{};
    auto* in = reinterpret_cast<sockaddr_in*>(&backend);
    in->sin_family = AF_INET;
    in->sin_port = htons(h.target);
    in->sin_addr.s_addr = htonl(ip->value);
    return backend;
  }
  return std::nullopt;
}

nlohmann::json StackPorts::publishers(const std::string& service, uint64_t index) const {
  auto out = nlohmann::json::array();
  if (auto it = exposed_.find(service); it != exposed_.end()) out = it->second;
  for (const auto& [key, h] : held_)
    if (h->service == service && (h->index == 0 || h->index == index)) out.push_back(h->publisher);
  return out;
}

}  // namespace stack::cli
