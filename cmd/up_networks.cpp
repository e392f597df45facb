#include "cmd/up_networks.hpp"

#include <fcntl.h>
#include <netlink/route/link.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "engine/base/unique_fd.hpp"
#include "network/dns_upstream.hpp"
#include "network/ipam.hpp"
#include "network/link.hpp"
#include "network/link_bridge.hpp"
#include "network/link_route.hpp"
#include "network/link_veth.hpp"
#include "network/names.hpp"
#include "network/nat.hpp"
#include "network/netns.hpp"
#include "network/uv_udp.hpp"

namespace stack::cli {
namespace {

constexpr const char* kHostLock = "/run/lock/stack-network.lock";

in_addr in_of(net::Ipv4 ip) { return in_addr{htonl(ip.value)}; }

void add_unique(std::vector<std::string>& list, const std::string& name) {
  if (!name.empty() && std::find(list.begin(), list.end(), name) == list.end()) list.push_back(name);
}

}  // namespace

Result<void> rewrite_in_place(const std::string& path, const std::string& text) {
  // No O_TRUNC: ext4 (auto_da_alloc, its default) marks a file truncated to size 0 and
  // starts its writeback at close(2), and a later truncation waits for that I/O: up to
  // 3.5 ms measured here for each /etc/hosts rewritten on a run's join, in series with
  // the container's start. The new text is written over the old from offset 0 and the
  // file then cut to its length, so only an empty text truncates to 0.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno == ENOENT ? Result<void>{} : fail_errno("open " + path);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::pwrite(fd.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path);
    done += static_cast<std::size_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0) return fail_errno("ftruncate " + path);
  return {};
}

Result<std::unique_ptr<StackNetworks>> StackNetworks::make(uv_loop_t* loop, const std::string& root,
                                                           const model::Project& project, state::Journal& journal) {
  auto plan = plan_networks(project);
  if (!plan) return unexpected(plan.error());
  auto nl = net::Netlink::open();
  if (!nl) return unexpected(nl.error());
  std::unique_ptr<StackNetworks> sn(new StackNetworks(loop, root + "/network", std::move(*plan), std::move(*nl)));
  for (const auto& [name, s] : project.services)
    if (!s.container_name.empty()) sn->container_name_of_[name] = s.container_name;
  sn->upstreams_ = net::dns::read_host_upstreams();
  sn->project_ = project.name;
  STACK_TRY(sn->make_nets(sn->plan_.networks, journal));
  return sn;
}

Result<void> StackNetworks::make_nets(const std::vector<NetDef>& defs, state::Journal& journal) {
  // Stacks with another --root have another ledger: only the host's routes keep them
  // apart, so reading the routes and making the bridges is one step, host-wide.
  // /run/lock is a distribution's convention, not the kernel's: a minimal host (the VM
  // tier's initramfs) has only /run.
  if (::mkdir("/run/lock", 0755) != 0 && errno != EEXIST) return fail_errno("mkdir /run/lock");
  UniqueFd lock(::open(kHostLock, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock || ::flock(lock.get(), LOCK_EX) != 0) return fail_errno(std::string("locking ") + kHostLock);
  auto routes = net::read_host_routes(nl_);
  if (!routes) return unexpected(routes.error());
  for (const auto& def : defs) STACK_TRY(make_net(def, *routes, journal));
  bool own = std::any_of(defs.begin(), defs.end(), [](const NetDef& d) { return !d.external; });
  if (own) STACK_TRY(make_nat(project_, journal));
  return {};
}

StackNetworks::~StackNetworks() {
  reaping_->networks_alive = false;
  // The journal's replay deletes the table after this: a run still making it must end first.
  if (auto settled = settle_nat(); !settled)
    std::fprintf(stderr, "supervisor: %s\n", settled.error().message.c_str());
}

Result<void> StackNetworks::check(const model::Project& project) const {
  auto plan = plan_networks(project);
  if (!plan) return unexpected(plan.error());
  for (const auto& def : plan->networks) {
    auto n = std::find_if(nets_.begin(), nets_.end(), [&](const Net& x) { return x.def.key == def.key; });
    if (n == nets_.end()) continue;
    const NetDef& was = n->def;
    if (was.full_name != def.full_name || was.internal != def.internal || was.external != def.external ||
        was.request.subnet != def.request.subnet || was.request.gateway != def.request.gateway)
      return fail("network " + def.full_name + " (key " + def.key +
                  ") changed: a network of a running stack keeps its name, subnet, gateway, internal and external "
                  "(run down, then up)");
  }
  return {};
}

Result<void> StackNetworks::extend(const model::Project& project, state::Journal& journal) {
  STACK_TRY(check(project));
  auto plan = plan_networks(project);
  if (!plan) return unexpected(plan.error());
  std::vector<NetDef> fresh;
  for (const auto& def : plan->networks)
    if (std::none_of(nets_.begin(), nets_.end(), [&](const Net& n) { return n.def.key == def.key; }))
      fresh.push_back(def);
  if (fresh.empty()) return {};
  for (const auto& note : plan->notes) std::fprintf(stderr, "supervisor: note: %s\n", note.c_str());
  return make_nets(fresh, journal);
}

Result<void> StackNetworks::adopt(const model::Project& project) {
  STACK_TRY(check(project));
  auto plan = plan_networks(project);
  if (!plan) return unexpected(plan.error());
  plan_.services = std::move(plan->services);
  container_name_of_.clear();
  for (const auto& [name, s] : project.services)
    if (!s.container_name.empty()) container_name_of_[name] = s.container_name;
  return {};
}

Result<void> StackNetworks::make_net(const NetDef& def, const std::vector<net::HostRoute>& routes,
                                     state::Journal& journal) {
  net::Ipam ipam(state_dir_);
  Net n{def, {}, {}, nullptr};
  if (def.external) {
    auto exists = net::bridge_exists(nl_, def.bridge);
    if (!exists) return unexpected(exists.error().wrap("network " + def.full_name));
    auto ledger = ipam.read();
    if (!ledger) return unexpected(ledger.error());
    const auto* lease = net::find_subnet(*ledger, def.full_name);
    if (!*exists || !lease)
      return fail("network " + def.full_name + " declared as external, but could not be found (no stack using this --root made it)");
    n.subnet = lease->subnet, n.gateway = lease->gateway;
    nets_.push_back(std::move(n));
    return {};
  }
  STACK_TRY(journal.add("subnet", {{"state_dir", state_dir_}, {"network", def.full_name}}));
  auto lease = ipam.reserve_subnet(def.full_name, def.request, routes, def.bridge);
  if (!lease) return unexpected(lease.error().wrap("network " + def.full_name));
  n.subnet = lease->subnet, n.gateway = lease->gateway;
  STACK_TRY(journal.add("bridge", {{"name", def.bridge}}));
  auto made = net::ensure_bridge(nl_, {def.bridge, lease->subnet, lease->gateway, 0});
  if (!made) return unexpected(made.error().wrap("network " + def.full_name));
  net::dns::ServerOptions o;
  auto listen = net::make_sockaddr(net::format(n.gateway), 53);
  if (!listen) return unexpected(listen.error());
  o.listen = *listen;
  o.upstreams = upstreams_;
  auto server = net::dns::Server::start(loop_, o);
  if (!server) return unexpected(server.error().wrap("name server of network " + def.full_name));
  n.dns = std::move(*server);
  nets_.push_back(std::move(n));
  return {};
}

Result<void> StackNetworks::make_nat(const std::string& project, state::Journal& journal) {
  net::NatConfig cfg{net::nat_table_name(project), {}};
  for (const auto& n : nets_)
    if (!n.def.external) cfg.networks.push_back({n.def.bridge, n.subnet, n.gateway, n.def.internal});
  auto forward = net::enable_ip_forward();
  if (!forward) return unexpected(forward.error().wrap("enabling net.ipv4.ip_forward"));
  if (*forward) std::fprintf(stderr, "supervisor: turned net.ipv4.ip_forward on (it stays on after down)\n");
  STACK_TRY(journal.add("nft", {{"table", cfg.table}}));
  STACK_TRY(settle_nat());  // an apply's extend replaces the table a first run may still be making
  // nft takes 15-20 ms here, half of it waiting in the kernel's commit: on a thread of
  // its own it runs while the loop makes the first containers. attach() waits for it,
  // so no container runs its command before the rules exist.
  auto run = std::make_shared<std::packaged_task<Result<net::NatOutcome>()>>([cfg] { return net::apply_nat(cfg); });
  nat_table_ = cfg.table;
  nat_done_ = run->get_future();
  try {
    nat_run_ = std::thread([run] { (*run)(); });
  } catch (const std::system_error&) {  // no thread to be had: run it here
    (*run)();
  }
  return settle_nat(/*wait=*/false);
}

Result<void> StackNetworks::settle_nat(bool wait) {
  if (!nat_done_.valid()) return {};
  if (!wait && nat_done_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return {};
  if (nat_run_.joinable()) nat_run_.join();
  auto outcome = std::exchange(nat_done_, {}).get();
  if (!outcome) return unexpected(outcome.error().wrap("nftables table " + nat_table_));
  if (!outcome->applied)
    std::fprintf(stderr, "supervisor: warning: no outbound NAT or isolation between stacks: %s\n",
                 outcome->warning.c_str());
  return {};
}

Result<std::vector<StackNetworks::Member>> StackNetworks::lease(const std::vector<Joining>& joining,
                                                                state::Journal& journal) {
  struct Pending {
    std::size_t member, net;
    const std::vector<std::string>* aliases;
    uint64_t record;
  };
  std::vector<Member> members;
  std::vector<net::AddressWant> wants;
  std::vector<Pending> pending;
  for (const auto& [container, service] : joining) {
    auto plan = plan_.services.find(service);
    if (plan == plan_.services.end()) return fail("service " + service + " is on no network");
    members.push_back({service, {}, {}});
    for (const auto& a : plan->second) {
      std::size_t i = 0;
      while (i < nets_.size() && nets_[i].def.key != a.network) ++i;
      if (i == nets_.size()) return fail("service " + service + ": network " + a.network + " was not made");
      const auto& full = nets_[i].def.full_name;
      auto rec = journal.add("address", {{"state_dir", state_dir_}, {"network", full}, {"container", container}});
      if (!rec) return unexpected(rec.error());
      wants.push_back({full, container, a.ipv4_address});
      pending.push_back({members.size() - 1, i, &a.aliases, *rec});
    }
  }
  auto ips = net::Ipam(state_dir_).reserve_addresses(wants);
  if (!ips) return unexpected(ips.error());
  for (std::size_t k = 0; k < pending.size(); ++k)
    members[pending[k].member].links.push_back({pending[k].net, *pending[k].aliases, (*ips)[k], pending[k].record, {}});
  return members;
}

std::vector<std::string> StackNetworks::names_of(const std::string& container, const Member& m, const Link& l) const {
  if (!m.options.service_names) return {container};
  std::vector<std::string> names{m.service, container};
  if (auto it = container_name_of_.find(m.service); it != container_name_of_.end()) add_unique(names, it->second);
  for (const auto& a : l.aliases) add_unique(names, a);
  return names;
}

Result<void> StackNetworks::join(const std::string& container, const std::string& service, MemberOptions options,
                                 state::Journal& journal) {
  std::vector<sockaddr_storage> dns;
  for (const auto& d : options.dns) {
    auto a = net::dns::parse_upstream(d);
    if (!a) return unexpected(a.error().wrap("service " + service + ": dns"));
    dns.push_back(*a);
  }
  bool fresh = !members_.count(container);
  if (fresh) {
    auto m = lease({{container, service}}, journal);
    if (!m) return unexpected(m.error());
    members_.emplace(container, std::move(m->front()));
  }
  Member& m = members_.at(container);
  m.options = std::move(options);
  for (const auto& l : m.links) {
    auto& server = nets_[l.net].dns;
    if (!server) continue;
    server->table().set(container, names_of(container, m, l), {in_of(l.ip)});
    server->set_client_upstreams(in_of(l.ip), dns);
  }
  if (fresh) {
    refresh_views();
    rewrite_hosts(container);
  }
  return {};
}

Result<void> StackNetworks::join_all(const std::vector<Joining>& joining, state::Journal& journal) {
  std::vector<Joining> fresh;
  std::set<std::string> seen;
  for (const auto& j : joining)
    if (!members_.count(j.first) && seen.insert(j.first).second) fresh.push_back(j);
  auto leased = lease(fresh, journal);
  if (!leased) return unexpected(leased.error());
  for (std::size_t k = 0; k < fresh.size(); ++k) members_.emplace(fresh[k].first, std::move((*leased)[k]));
  for (const auto& [container, service] : joining) STACK_TRY(join(container, service, {}, journal));
  if (!fresh.empty()) {
    refresh_views();
    rewrite_hosts("");
  }
  return {};
}

void StackNetworks::refresh_views() {
  for (const auto& [name, m] : members_) {
    if (m.links.size() < 2) continue;
    auto view = std::make_shared<net::dns::NameTable>();
    for (const auto& l : m.links)
      for (const auto& [peer, pm] : members_)
        for (const auto& pl : pm.links)
          if (pl.net == l.net) view->set(peer + "@" + nets_[l.net].def.key, names_of(peer, pm, pl), {in_of(pl.ip)});
    for (const auto& l : m.links)
      if (nets_[l.net].dns) nets_[l.net].dns->set_client_table(in_of(l.ip), view);
  }
}

Result<void> StackNetworks::attach(const std::string& container, pid_t pid, state::Journal& journal) {
  auto ns = net::Netns::of_pid(pid);
  if (!ns) return unexpected(ns.error());
  return attach(container, *ns, journal);
}

Result<void> StackNetworks::attach(const std::string& container, const net::Netns& ns, state::Journal& journal) {
  STACK_TRY(settle_nat());
  auto it = members_.find(container);
  if (it == members_.end()) return fail("container " + container + " has joined no network");
  for (std::size_t i = 0; i < it->second.links.size(); ++i) {
    auto& l = it->second.links[i];
    const Net& n = nets_[l.net];
    net::VethConfig cfg;
    cfg.host_name = net::veth_name(container, n.def.full_name);
    cfg.bridge = n.def.bridge;
    cfg.ifname = net::container_ifname(static_cast<unsigned>(i));
    cfg.address = net::Cidr{l.ip, n.subnet.prefix};
    if (!n.def.internal) cfg.gateway = n.gateway;
    auto rec = journal.add("veth", {{"name", cfg.host_name}});
    if (!rec) return unexpected(rec.error());
    l.veth_records.push_back(*rec);
    auto r = net::attach_veth(nl_, ns, cfg);
    // A previous run's pair dies with its netns, but the kernel may not have taken it
    // away yet: a leftover host end is refused (EEXIST); a veth of that name goes, and
    // the pair is made again (no lookup before every attach: each waits on RTNL).
    if (!r && r.error().code == EEXIST)
      if (auto gone = net::delete_veth(nl_, cfg.host_name); gone && *gone) r = net::attach_veth(nl_, ns, cfg);
    if (!r) return unexpected(r.error().wrap("network " + n.def.full_name + ": container " + container));
  }
  return {};
}

Result<void> StackNetworks::leave(const std::string& container, state::Journal& journal) {
  auto it = members_.find(container);
  if (it == members_.end()) return {};
  net::Ipam ipam(state_dir_);
  Result<void> out;
  std::vector<VethDrop> drops;
  for (const auto& l : it->second.links) {
    const Net& n = nets_[l.net];
    if (n.dns) {
      n.dns->table().remove(container);
      n.dns->set_client_upstreams(in_of(l.ip), {});
      n.dns->set_client_table(in_of(l.ip), nullptr);
    }
    std::string veth = net::veth_name(container, n.def.full_name);
    auto found = net::find_link(nl_, veth);
    if (!found) {
      if (out) out = unexpected(found.error());
    } else if (!*found) {  // gone with its netns
      for (auto id : l.veth_records) (void)journal.done(id);
    } else if (net::link_kind((*found)->get()) != "veth") {  // as delete_link: never a stranger's link
      if (out) out = fail_errno(EINVAL, "refusing to delete link '" + veth + "': it is not a veth");
    } else {
      drops.push_back(VethDrop{rtnl_link_get_ifindex((*found)->get()), veth, l.veth_records, {}});
    }
    auto released = ipam.release_address(n.def.full_name, container);
    if (!released && out) out = unexpected(released.error());
    if (released) (void)journal.done(l.address_record);
  }
  members_.erase(it);
  refresh_views();
  rewrite_hosts("");
  reap(std::move(drops), journal);
  return out;
}

void StackNetworks::reap(std::vector<VethDrop> drops, state::Journal& journal) {
  if (drops.empty()) return;
  struct Job {
    uv_work_t req{};
    std::vector<VethDrop> drops;
    std::shared_ptr<Reaping> state;
    state::Journal* journal;
  };
  auto* job = new Job{{}, std::move(drops), reaping_, &journal};
  job->req.data = job;
  auto work = [](uv_work_t* r) {
    auto* j = static_cast<Job*>(r->data);
    auto nl = net::Netlink::open();  // its own socket: the loop's stays the loop's
    for (auto& d : j->drops) {
      if (!nl) {
        d.error = nl.error().message;
        continue;
      }
      auto gone = net::delete_link_index(*nl, d.ifindex, "veth '" + d.name + "'");
      if (!gone) d.error = gone.error().message;
    }
  };
  auto after = [](uv_work_t* r, int) {
    std::unique_ptr<Job> j(static_cast<Job*>(r->data));
    --j->state->in_flight;
    for (const auto& d : j->drops) {
      if (!d.error.empty())
        std::fprintf(stderr, "supervisor: removing veth %s: %s\n", d.name.c_str(), d.error.c_str());
      else if (j->state->networks_alive)
        for (auto id : d.records) (void)j->journal->done(id);
    }
  };
  ++reaping_->in_flight;
  if (uv_queue_work(loop_, &job->req, work, after) < 0) {  // no pool: here, as before
    work(&job->req);
    after(&job->req, 0);
  }
}

std::string StackNetworks::hosts(const std::string& container) const {
  auto it = members_.find(container);
  if (it == members_.end()) return "";
  const Member& m = it->second;
  std::string out = m.options.hosts_base;
  if (m.links.empty()) return out;
  std::vector<std::string> self = m.options.self_names;
  for (const auto& n : names_of(container, m, m.links.front())) add_unique(self, n);
  out += net::format(m.links.front().ip) + "\t";
  for (std::size_t i = 0; i < self.size(); ++i) out += (i ? " " : "") + self[i];
  out += "\n";
  for (const auto& [peer, pm] : members_) {
    if (peer == container) continue;
    for (const auto& l : m.links) {
      auto pl = std::find_if(pm.links.begin(), pm.links.end(), [&](const Link& x) { return x.net == l.net; });
      if (pl == pm.links.end()) continue;
      auto names = names_of(peer, pm, *pl);
      out += net::format(pl->ip) + "\t";
      for (std::size_t i = 0; i < names.size(); ++i) out += (i ? " " : "") + names[i];
      out += "\n";
      break;
    }
  }
  return out;
}

void StackNetworks::rewrite_hosts(const std::string& except) {
  for (const auto& [name, m] : members_) {
    if (name == except || m.options.hosts_file.empty()) continue;
    if (auto r = rewrite_in_place(m.options.hosts_file, hosts(name)); !r)
      std::fprintf(stderr, "supervisor: %s: /etc/hosts: %s\n", name.c_str(), r.error().message.c_str());
  }
}

std::string StackNetworks::resolv_conf(const std::string& container, const std::vector<std::string>& search,
                                       const std::vector<std::string>& options) const {
  auto gw = gateway(container);
  if (!gw) return "";
  std::string out = "nameserver " + net::format(*gw) + "\n";
  if (!search.empty()) {
    out += "search";
    for (const auto& s : search) out += " " + s;
    out += "\n";
  }
  // ndots:0: a dotless name (a service) goes to the name server as is, first.
  out += "options ndots:0";
  for (const auto& o : options) out += " " + o;
  return out + "\n";
}

std::optional<net::Ipv4> StackNetworks::address(const std::string& container) const {
  auto it = members_.find(container);
  if (it == members_.end() || it->second.links.empty()) return std::nullopt;
  return it->second.links.front().ip;
}

std::vector<std::pair<std::string, std::string>> StackNetworks::links_of(const std::string& container) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (auto it = members_.find(container); it != members_.end())
    for (const auto& l : it->second.links)
      out.emplace_back(nets_[l.net].def.key, net::veth_name(container, nets_[l.net].def.full_name));
  return out;
}

std::vector<std::string> StackNetworks::host_veths(const std::string& container) const {
  std::vector<std::string> out;
  if (auto it = members_.find(container); it != members_.end())
    for (const auto& l : it->second.links) out.push_back(net::veth_name(container, nets_[l.net].def.full_name));
  return out;
}

std::optional<net::Ipv4> StackNetworks::gateway(const std::string& container) const {
  auto it = members_.find(container);
  if (it == members_.end() || it->second.links.empty()) return std::nullopt;
  return nets_[it->second.links.front().net].gateway;
}

}  // namespace stack::cli
