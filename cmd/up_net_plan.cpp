#include "cmd/up_net_plan.hpp"

#include <algorithm>

#include "network/names.hpp"

namespace stack::cli {
namespace {

std::string where(const model::Network& n, const std::string& key) {
  std::string at = n.mark.str();
  return (at.empty() ? "" : at + ": ") + "networks." + key;
}

// The IPv4 entry of ipam.config (IPv6 ones are refused at load: enable_ipv6 is not).
Result<net::SubnetRequest> subnet_request(const model::Network& n, const std::string& key) {
  net::SubnetRequest r;
  if (n.ipam.empty()) return r;
  if (n.ipam.size() > 1) return fail(where(n, key) + ".ipam.config: one subnet per network is supported");
  const auto& c = n.ipam.front();
  if (!c.ip_range.empty() || !c.aux_addresses.empty())
    return fail(where(n, key) + ".ipam.config: ip_range and aux_addresses are not supported by stack");
  if (!c.subnet.empty()) {
    auto s = net::parse_cidr(c.subnet, true);
    if (!s) return unexpected(s.error().wrap(where(n, key) + ".ipam.config.subnet"));
    r.subnet = *s;
  }
  if (!c.gateway.empty()) {
    if (!r.subnet) return fail(where(n, key) + ".ipam.config.gateway: a gateway needs a subnet");
    auto g = net::parse_ipv4(c.gateway);
    if (!g) return unexpected(g.error().wrap(where(n, key) + ".ipam.config.gateway"));
    r.gateway = *g;
  }
  return r;
}

Result<std::vector<NetAttachment>> attachments(const model::Service& s) {
  struct Ordered {
    int64_t priority;
    NetAttachment a;
  };
  std::vector<Ordered> list;
  for (const auto& [key, opts] : s.networks) {
    Ordered o{opts ? opts->priority : 0, {key, {}, std::nullopt}};
    if (opts) {
      o.a.aliases = opts->aliases;
      if (!opts->ipv4_address.empty()) {
        auto ip = net::parse_ipv4(opts->ipv4_address);
        const auto* m = s.mark_of("networks." + key);
        std::string at = m && !m->str().empty() ? m->str() + ": " : "";
        if (!ip) return unexpected(ip.error().wrap(at + "services." + s.name + ".networks." + key + ".ipv4_address"));
        o.a.ipv4_address = *ip;
      }
    }
    list.push_back(std::move(o));
  }
  // s.networks is ordered by key; a stable sort keeps that order among equal priorities.
  std::stable_sort(list.begin(), list.end(), [](const Ordered& a, const Ordered& b) { return a.priority > b.priority; });
  std::vector<NetAttachment> out;
  for (auto& o : list) out.push_back(std::move(o.a));
  return out;
}

}  // namespace

const NetDef* NetPlan::find(const std::string& key) const {
  for (const auto& n : networks)
    if (n.key == key) return &n;
  return nullptr;
}

Result<NetPlan> plan_networks(const model::Project& project) {
  NetPlan plan;
  std::set<std::string> used;
  for (const auto& [name, s] : project.services) {
    if (!s.network_mode.empty()) continue;
    auto a = attachments(s);
    if (!a) return unexpected(a.error());
    for (const auto& n : *a) used.insert(n.network);
    plan.services[name] = std::move(*a);
  }
  for (const auto& [key, n] : project.networks) {
    if (!used.count(key)) continue;
    NetDef d{key, n.name, net::bridge_name(n.name), n.internal, n.external, {}};
    if (!n.external) {
      auto r = subnet_request(n, key);
      if (!r) return unexpected(r.error());
      d.request = *r;
    }
    if (!n.labels.empty()) plan.notes.push_back("network " + n.name + ": labels are kept in the stack file only");
    if (!n.driver_opts.empty()) plan.notes.push_back("network " + n.name + ": driver_opts are ignored");
    plan.networks.push_back(std::move(d));
  }
  return plan;
}

}  // namespace stack::cli
