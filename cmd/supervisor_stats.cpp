// The supervisor's "stats" and "top" control methods: raw samples of each running
// container (its cgroup through the Driver, the host end of its veth for NET I/O, and
// the host's CPU time for docker's CPU % formula), and the pids of its cgroup. The CLI
// does the arithmetic and the /proc reading (cmd/stats.cpp, cmd/top.cpp).
#include <unistd.h>

#include <set>

#include "cmd/stats_format.hpp"
#include "cmd/supervisor_stack.hpp"
#include "engine/base/file.hpp"
#include "network/bandwidth_apply.hpp"
#include "network/bandwidth_stats.hpp"

namespace stack::cli {
namespace {

namespace sv = stack::supervisor;

struct HostSample {
  uint64_t system_cpu_ns = 0, memory_total = 0;
  uint32_t online_cpus = 0;
};

Result<HostSample> host_sample() {
  HostSample h;
  auto stat = read_file("/proc/stat");
  if (!stat) return unexpected(stat.error());
  auto ns = parse_proc_stat_ns(*stat, ::sysconf(_SC_CLK_TCK));
  if (!ns) return fail("no cpu line in /proc/stat");
  h.system_cpu_ns = *ns;
  auto mem = read_file("/proc/meminfo");
  if (!mem) return unexpected(mem.error());
  h.memory_total = parse_meminfo_total(*mem).value_or(0);
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  h.online_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  return h;
}

// The services named in params["services"], all if none; an unknown one is an error.
Result<std::set<std::string>> wanted(const model::Project& p, const nlohmann::json& params) {
  std::set<std::string> out;
  auto list = params.is_object() ? params.value("services", nlohmann::json::array()) : nlohmann::json::array();
  if (!list.is_array()) return fail("services: want a list of names");
  for (const auto& s : list) {
    if (!s.is_string()) return fail("services: want a list of names");
    std::string name = s.get<std::string>();
    if (!p.services.count(name)) return fail("no such service: " + name);
    out.insert(name);
  }
  if (out.empty())
    for (const auto& [name, s] : p.services) out.insert(name);
  return out;
}

}  // namespace

bool StackSupervisor::handle_stats(const sv::Request& r, const sv::Responder& resp) {
  if (r.method != "stats" && r.method != "top") return false;
  auto result = r.method == "stats" ? stats(r.params) : top(r.params);
  if (result) resp.reply(*result);
  else resp.fail(result.error());
  return true;
}

Result<nlohmann::json> StackSupervisor::stats(const nlohmann::json& params) {
  auto services = wanted(project_, params);
  if (!services) return unexpected(services.error());
  auto host = host_sample();
  if (!host) return unexpected(host.error());
  auto nl = net::Netlink::open();
  bool all = params.is_object() && params.value("all", false);
  auto list = nlohmann::json::array();
  for (const auto& r : replicas_) {
    if (!services->count(r->service) || !r->runner || !r->cgroup) continue;
    StatsSample s;
    s.name = r->name;
    s.service = r->service;
    // Not running (or it just exited): zeros with --all, as docker shows a stopped one.
    auto cg = r->runner->info().state == sv::RunState::kRunning ? r->cgroup->stats()
                                                                 : Result<cgroup::Stats>(fail("not running"));
    if (!cg) {
      if (all) list.push_back(to_json(s));
      continue;
    }
    s.cpu_usage_ns = cg->cpu_usage_ns;
    s.system_cpu_ns = host->system_cpu_ns;
    s.online_cpus = host->online_cpus;
    s.memory_usage = cg->memory_usage;
    s.memory_inactive_file = cg->memory_inactive_file;
    s.memory_limit = cg->memory_limit && *cg->memory_limit < host->memory_total ? *cg->memory_limit : host->memory_total;
    s.io_read_bytes = cg->io_read_bytes;
    s.io_write_bytes = cg->io_write_bytes;
    s.pids = cg->pids_current;
    // Docker's NET I/O: every interface of the container (one veth per network).
    std::vector<std::string> limits;
    bool limited = false;
    for (const auto& veth : networks_ && nl ? networks_->host_veths(r->name) : std::vector<std::string>{}) {
      if (auto io = net::read_net_io(*nl, veth)) {
        s.net_rx_bytes += io->rx_bytes;
        s.net_tx_bytes += io->tx_bytes;
        s.net_rx_packets += io->rx_packets;
        s.net_tx_packets += io->tx_packets;
      }
      auto bw = net::read_bandwidth(*nl, veth);
      auto rate = [](const std::optional<uint64_t>& bps) { return bps ? net::human_rate(*bps) : std::string("-"); };
      limits.push_back(bw ? rate(bw->ingress_bps) + " / " + rate(bw->egress_bps) : "?");
      limited = limited || (bw && !bw->empty());
    }
    for (std::size_t i = 0; limited && i < limits.size(); ++i) s.net_limit += (i ? ", " : "") + limits[i];
    list.push_back(to_json(s));
  }
  return nlohmann::json{{"containers", list}};
}

Result<nlohmann::json> StackSupervisor::top(const nlohmann::json& params) {
  auto services = wanted(project_, params);
  if (!services) return unexpected(services.error());
  auto list = nlohmann::json::array();
  for (const auto& r : replicas_) {
    if (!services->count(r->service) || !r->runner || !r->cgroup) continue;
    if (r->runner->info().state != sv::RunState::kRunning) continue;
    auto pids = r->cgroup->pids();
    if (!pids) return unexpected(pids.error().wrap("container " + r->name));
    list.push_back({{"Name", r->name}, {"Service", r->service}, {"Pids", *pids}});
  }
  return nlohmann::json{{"containers", list}};
}

}  // namespace stack::cli
