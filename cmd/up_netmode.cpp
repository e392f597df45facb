#include "cmd/up_netmode.hpp"

#include <sstream>

#include "engine/base/file.hpp"
#include "engine/runtime/rootfs.hpp"
#include "network/link.hpp"
#include "network/netns.hpp"

namespace stack::cli {
namespace rt = stack::engine::runtime;
namespace {

constexpr std::string_view kHostGateway = "host-gateway";

// The hosts base without the 127.0.1.1 line of the hostname: on a network, the hostname
// names the container's own address (as in Docker).
std::string without_loopback_hostname(const std::string& hosts) {
  std::istringstream in(hosts);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("127.0.1.1\t", 0) != 0) out += line + "\n";
  return out;
}

std::string host_gateway_lines(const model::Service& s, const std::string& ip) {
  std::string out;
  for (const auto& h : s.extra_hosts)
    if (h.ip == kHostGateway) out += ip + "\t" + h.host + "\n";
  return out;
}

std::string resolv_extras(const model::Service& s) {
  std::string out;
  if (!s.dns_search.empty()) {
    out += "search";
    for (const auto& d : s.dns_search) out += " " + d;
    out += "\n";
  }
  if (!s.dns_opt.empty()) {
    out += "options";
    for (const auto& o : s.dns_opt) out += " " + o;
    out += "\n";
  }
  return out;
}

Result<void> member_spec(rt::Spec& spec, const model::Service& s, const std::string& container,
                         const NetworkContext& ctx) {
  MemberOptions o;
  if (!s.domainname.empty()) o.self_names.push_back(spec.hostname + "." + s.domainname);
  o.self_names.push_back(spec.hostname);
  o.hosts_base = without_loopback_hostname(spec.etc.hosts);
  o.hosts_file = rt::container_paths(ctx.root, container).etc.hosts;
  o.dns = s.dns;
  o.service_names = ctx.service_names;
  // The first join leases; the gateway is known from then on.
  STACK_TRY(ctx.networks->join(container, s.name, o, *ctx.journal));
  auto gw = ctx.networks->gateway(container);
  if (gw) o.hosts_base += host_gateway_lines(s, net::format(*gw));
  STACK_TRY(ctx.networks->join(container, s.name, std::move(o), *ctx.journal));
  spec.etc.hosts = ctx.networks->hosts(container);
  spec.etc.resolv_conf = ctx.networks->resolv_conf(container, s.dns_search, s.dns_opt);
  return {};
}

// network_mode service:NAME: the netns and /etc files of NAME's running container.
Result<void> shared_spec(rt::Spec& spec, const model::Service& s, const NetworkContext& ctx) {
  std::string target = s.network_mode.substr(8);
  pid_t pid = ctx.running_pid ? ctx.running_pid(target) : 0;
  if (pid <= 0) return fail("service " + s.name + ": network_mode service:" + target + ": " + target + " has no running container");
  for (auto& n : spec.namespaces)
    if (n.type == rt::NamespaceType::kNet) n.path = "/proc/" + std::to_string(pid) + "/ns/net";
  for (const auto& [file, text] : {std::pair{"hosts", &spec.etc.hosts}, std::pair{"resolv.conf", &spec.etc.resolv_conf}}) {
    // Read through the target's own root, where they are bind-mounted.
    auto content = read_file("/proc/" + std::to_string(pid) + "/root/etc/" + file);
    if (content) *text = *content;
  }
  return {};
}

}  // namespace

Result<void> network_spec(rt::Spec& spec, const model::Service& s, const std::string& container,
                          const NetworkContext& ctx) {
  spec.domainname = s.domainname;
  if (s.network_mode.rfind("service:", 0) == 0) return shared_spec(spec, s, ctx);
  if (s.network_mode.empty() && ctx.networks && ctx.networks->networked(s.name))
    return member_spec(spec, s, container, ctx);
  // none and host: the hostname keeps 127.0.1.1; host-gateway is the host itself.
  if (!s.domainname.empty() && !spec.hostname.empty()) {
    std::string line = "127.0.1.1\t" + spec.hostname + "\n";
    if (auto at = spec.etc.hosts.find(line); at != std::string::npos)
      spec.etc.hosts.replace(at, line.size(), "127.0.1.1\t" + spec.hostname + "." + s.domainname + " " + spec.hostname + "\n");
  }
  spec.etc.hosts += host_gateway_lines(s, "127.0.0.1");
  spec.etc.resolv_conf += resolv_extras(s);
  return {};
}

Result<void> network_attach(const model::Service& s, const std::string& container, pid_t pid,
                            const NetworkContext& ctx) {
  if (s.network_mode == "none") {
    auto ns = net::Netns::of_pid(pid);
    if (!ns) return unexpected(ns.error());
    auto up = net::bring_up_loopback(*ns);
    if (!up) return unexpected(up.error().wrap("service " + s.name + ": lo"));
    return {};
  }
  if (s.network_mode.empty() && ctx.networks && ctx.networks->networked(s.name))
    return ctx.networks->attach(container, pid, *ctx.journal);
  return {};
}

}  // namespace stack::cli
