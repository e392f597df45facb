#include "cmd/up_network.hpp"

#include "network/link_bridge.hpp"
#include "network/link_route.hpp"
#include "network/link_veth.hpp"
#include "network/names.hpp"
#include "network/netns.hpp"

namespace stack::cli {

Result<StackNetwork> StackNetwork::make(const std::string& root, const std::string& project,
                                        const std::map<std::string, std::string>& containers,
                                        state::Journal& journal) {
  auto nl = net::Netlink::open();
  if (!nl) return unexpected(nl.error());
  StackNetwork n(root + "/network", project + "_default", std::move(*nl));
  n.bridge_ = net::bridge_name(project, "default");
  net::Ipam ipam(n.state_dir_);
  auto routes = net::read_host_routes(n.nl_);
  if (!routes) return unexpected(routes.error());
  auto rec = journal.add("subnet", {{"state_dir", n.state_dir_}, {"network", n.network_}});
  if (!rec) return unexpected(rec.error());
  auto lease = ipam.reserve_subnet(n.network_, {}, *routes, n.bridge_);
  if (!lease) return unexpected(lease.error().wrap("network " + n.network_));
  n.lease_ = *lease;
  rec = journal.add("bridge", {{"name", n.bridge_}});
  if (!rec) return unexpected(rec.error());
  auto made = net::ensure_bridge(n.nl_, {n.bridge_, lease->subnet, lease->gateway, 0});
  if (!made) return unexpected(made.error().wrap("network " + n.network_));
  for (const auto& [container, service] : containers) {
    rec = journal.add("address", {{"state_dir", n.state_dir_}, {"network", n.network_}, {"container", container}});
    if (!rec) return unexpected(rec.error());
    auto ip = ipam.reserve_address(n.network_, container);
    if (!ip) return unexpected(ip.error().wrap("network " + n.network_ + ": container " + container));
    n.addresses_[container] = {service, *ip};
  }
  return n;
}

std::string StackNetwork::hosts() const {
  std::string out;
  for (const auto& [container, a] : addresses_) out += net::format(a.second) + "\t" + a.first + " " + container + "\n";
  return out;
}

std::string StackNetwork::host_veth(const std::string& container) const { return net::veth_name(container, network_); }

Result<void> StackNetwork::attach(const std::string& container, pid_t pid, state::Journal& journal) {
  auto it = addresses_.find(container);
  if (it == addresses_.end()) return fail("container " + container + " has no address on " + network_);
  auto ns = net::Netns::of_pid(pid);
  if (!ns) return unexpected(ns.error());
  net::VethConfig cfg;
  cfg.host_name = host_veth(container);
  cfg.bridge = bridge_;
  cfg.ifname = net::container_ifname(0);
  cfg.address = net::Cidr{it->second.second, lease_.subnet.prefix};
  cfg.gateway = lease_.gateway;
  auto rec = journal.add("veth", {{"name", cfg.host_name}});
  if (!rec) return unexpected(rec.error());
  // A previous run's pair died with its netns; a leftover host end would be refused.
  (void)net::delete_veth(nl_, cfg.host_name);
  auto r = net::attach_veth(nl_, *ns, cfg);
  if (!r) return unexpected(r.error().wrap("network " + network_ + ": container " + container));
  return {};
}

}  // namespace stack::cli

namespace stack::cli {

Result<net::Ipv4> StackNetwork::lease(const std::string& container, const std::string& service,
                                      state::Journal& journal) {
  if (auto it = addresses_.find(container); it != addresses_.end()) return it->second.second;
  auto rec = journal.add("address", {{"state_dir", state_dir_}, {"network", network_}, {"container", container}});
  if (!rec) return unexpected(rec.error());
  auto ip = net::Ipam(state_dir_).reserve_address(network_, container);
  if (!ip) return unexpected(ip.error().wrap("network " + network_ + ": container " + container));
  addresses_[container] = {service, *ip};
  return *ip;
}

Result<void> StackNetwork::release(const std::string& container) {
  if (!addresses_.erase(container)) return {};
  auto r = net::Ipam(state_dir_).release_address(network_, container);
  if (!r) return unexpected(r.error().wrap("network " + network_ + ": container " + container));
  return {};
}

}  // namespace stack::cli
