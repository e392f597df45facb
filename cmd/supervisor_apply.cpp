#include "cmd/supervisor_apply.hpp"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "cmd/supervisor_stack.hpp"
#include "cmd/up_bandwidth.hpp"
#include "cmd/up_common.hpp"
#include "engine/base/log.hpp"
#include "engine/model/bandwidth.hpp"
#include "engine/runtime/cleanup.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;
using json = nlohmann::json;

json load_options_json(const model::LoadOptions& o) {
  return {{"files", o.files},       {"working_dir", o.working_dir}, {"project_directory", o.project_directory},
          {"project_name", o.project_name}, {"env_files", o.env_files}, {"profiles", o.profiles},
          {"environment", o.environment}};
}

model::LoadOptions load_options_of(const json& j) {
  model::LoadOptions o;
  o.files = j.value("files", std::vector<std::string>{});
  o.working_dir = j.value("working_dir", "");
  o.project_directory = j.value("project_directory", "");
  o.project_name = j.value("project_name", "");
  o.env_files = j.value("env_files", std::vector<std::string>{});
  o.profiles = j.value("profiles", std::vector<std::string>{});
  o.environment = j.value("environment", std::map<std::string, std::string>{});
  return o;
}

Result<std::unique_ptr<ApplyRun>> prepare_apply(const json& params, const std::string& state_root,
                                                std::optional<model::Project> loaded) {
  auto project = loaded ? Result<model::Project>(std::move(*loaded))
                        : model::load(load_options_of(params.value("load", json::object())));
  if (!project) return unexpected(project.error());
  auto run = std::make_unique<ApplyRun>();
  run->options = ApplyOptions::from_json(params.value("options", json::object()));
  for (const auto& s : run->options.services)
    if (!project->services.count(s)) return fail("no such service: " + s);
  for (const auto& [s, n] : run->options.scale)
    if (!project->services.count(s)) return fail("--scale " + s + "=" + std::to_string(n) + ": no such service: " + s);
  auto graph = make_graph(*project);
  if (!graph) return unexpected(graph.error());
  auto store = image::ImageStore::open(state_root);
  if (!store) return unexpected(store.error());
  auto catalog = store->catalog();
  if (!catalog) return unexpected(catalog.error());
  std::map<std::string, std::string> image_ids;
  for (const auto& [name, s] : project->services) {
    auto image = catalog->resolve(s.image);
    if (!image) return unexpected(image.error().wrap("service " + name));
    image_ids[name] = image->id;
    run->images.insert_or_assign(name, std::move(*image));
  }
  run->hashes = config_hashes(*project, image_ids);
  auto selected = graph->closure(run->options.services);
  if (!selected) return unexpected(selected.error());
  for (const auto& s : *selected) {
    auto sc = run->options.scale.find(s);
    run->selected[s] = sc != run->options.scale.end() ? sc->second : project->services.at(s).replicas();
  }
  run->graph.emplace(std::move(*graph));
  run->project = std::move(*project);
  return run;
}

namespace {

// Private nested types are named by deduction only.
template <class Replicas>
auto* find_replica(Replicas& rs, const Slot& s) {
  for (auto& r : rs)
    if (r->service == s.service && r->index == s.index) return r.get();
  return static_cast<decltype(rs.front().get())>(nullptr);
}

template <class R>
bool is_up(const R& r) {
  if (!r.runner) return false;
  auto st = r.runner->info().state;
  return st == sv::RunState::kRunning || st == sv::RunState::kRestarting;
}

template <class R>
void stop_one(R& r) {
  if (!r.runner || !r.spec) return;
  int sig = signal_number(r.spec->stop_signal);
  auto grace = std::chrono::milliseconds(r.spec->stop_grace_period_ns.value_or(10'000'000'000) / 1'000'000);
  r.runner->stop(sig ? sig : SIGTERM, grace);
}

// Retiring replicas of service (all services when empty) are down.
template <class Replicas>
bool retiring_down(const Replicas& rs, const std::string& service) {
  for (const auto& r : rs)
    if (r->retiring && (service.empty() || r->service == service) && is_up(*r)) return false;
  return true;
}

}  // namespace

void StackSupervisor::apply(json params, sv::Responder resp) {
  applies_.emplace_back(std::move(params), resp);
  apply_next();
}

// From callbacks: the next apply runs on its own loop turn, not inside a runner's.
void StackSupervisor::schedule_apply() {
  if (applies_.empty() || apply_) return;
  if (!apply_timer_)
    if (auto t = net::UvTimer::create(loop_); t) apply_timer_ = std::move(*t);
  if (!apply_timer_ || !apply_timer_->start(0, 0, [this] { apply_next(); })) apply_next();
}

void StackSupervisor::apply_next() {
  if (apply_ || applies_.empty()) return;
  if (down_started_) {
    for (const auto& [p, resp] : applies_) resp.fail(Error{ECANCELED, "the stack " + project_.name + " is going down"});
    applies_.clear();
    return;
  }
  if (start_ && !start_done()) return;  // the previous up is still starting: pump() calls back
  auto [params, resp] = std::move(applies_.front());
  applies_.pop_front();
  // The up that started this supervisor: its project as loaded at start (up_spawn.hpp).
  // Only the first apply; any later one loads the files as they are then.
  std::optional<model::Project> loaded;
  if (!load_token_.empty() && params.value("load_token", "") == load_token_) {
    loaded = project_;
    log::debug("apply: the project as loaded at start (the starting up's load token)");
  }
  load_token_.clear();
  auto run = prepare_apply(params, root_, std::move(loaded));
  if (run && networks_)
    if (auto fits = networks_->check((*run)->project); !fits) run = unexpected(fits.error());
  if (run && ports_)
    if (auto bound = prepare_ports(**run); !bound) run = unexpected(bound.error());
  // Last: the only step that changes the host (new networks stay until down if a later
  // step fails).
  if (run && networks_)
    if (auto made = networks_->extend((*run)->project, journal_); !made) run = unexpected(made.error());
  if (!run) {
    resp.fail(run.error());
    return apply_next();
  }
  (*run)->resp = resp;
  begin_apply(std::move(*run));
}

void StackSupervisor::begin_apply(std::unique_ptr<ApplyRun> run) {
  std::vector<Current> current;
  for (const auto& r : replicas_)
    if (!r->orphan || run->options.remove_orphans) current.push_back({{r->service, r->index}, r->hash, is_up(*r)});
  run->plan = plan_apply(current, run->selected, run->hashes, run->options);
  std::set<std::string> ordered;
  auto mark = [&](const std::vector<Slot>& slots) {
    for (const auto& s : slots) {
      auto* r = find_replica(replicas_, s);
      r->retiring = true;
      if (project_.services.count(s.service)) ordered.insert(s.service);
      else stop_one(*r);  // an orphan of an earlier apply: nothing in the graph orders it
    }
  };
  mark(run->plan.recreate);
  mark(run->plan.remove);
  if (run->options.remove_orphans) mark(run->plan.orphans);
  apply_ = std::move(run);
  apply_->stop.emplace(graph_, ordered);
  apply_stop_pump();
}

void StackSupervisor::apply_stop_pump() {
  auto& a = *apply_;
  if (a.pumping) {
    a.again = true;
    return;
  }
  a.pumping = true;
  do {
    a.again = false;
    for (const auto& s : a.stop->ready()) {
      a.stopping.insert(s);
      for (auto& r : replicas_)
        if (r->retiring && r->service == s) stop_one(*r);
    }
    for (const auto& s : a.stopping)
      if (!a.stopped.count(s) && retiring_down(replicas_, s)) {
        a.stopped.insert(s);
        a.stop->stopped(s);
        a.again = true;  // what it depends on may stop now
      }
  } while (a.again);
  a.pumping = false;
  if (!a.stop->finished() || !retiring_down(replicas_, "") || a.committing) return;
  a.committing = true;
  // Not from here: this may run inside a runner's callback, and the commit frees runners.
  if (!apply_timer_)
    if (auto t = net::UvTimer::create(loop_); t) apply_timer_ = std::move(*t);
  if (!apply_timer_ || !apply_timer_->start(0, 0, [this] { apply_commit(); })) apply_commit();
}

void StackSupervisor::apply_commit() {
  std::unique_ptr<ApplyRun> run = std::move(apply_);
  if (down_started_) {
    run->resp->fail(Error{ECANCELED, "the stack " + project_.name + " is going down"});
    return apply_next();
  }
  const ApplyPlan& plan = run->plan;
  auto name = [&](const Slot& s) { return container_name(project_.name, s.service, s.index); };
  json lines = json::array(), orphans = json::array(), start = json::array();
  for (const auto& s : plan.keep)
    if (run->selected.count(s.service)) lines.push_back({{"name", name(s)}, {"status", "Running"}});
  for (const auto& s : plan.recreate) {
    const auto* r = find_replica(replicas_, s);
    if (run->options.force_recreate || r->hash != run->hashes.at(s.service))
      lines.push_back({{"name", name(s)}, {"status", "Recreated"}});
  }
  std::vector<Slot> gone = plan.remove;
  if (run->options.remove_orphans) gone.insert(gone.end(), plan.orphans.begin(), plan.orphans.end());
  for (const auto& s : gone) {
    lines.push_back({{"name", name(s)}, {"status", "Removed"}});
    leave_network(name(s));
    (void)engine::runtime::remove_tree(layout_.log_dir(name(s)));
  }
  // A recreated container joins afresh: its service's networks may have changed.
  for (const auto& s : plan.recreate) leave_network(name(s));
  for (const auto& s : plan.orphans) {
    launched_.erase(s.service);  // down's stop order is the new graph's
    if (run->options.remove_orphans) continue;
    orphans.push_back(name(s));
    find_replica(replicas_, s)->orphan = true;
  }
  // Runners and cgroups of the retired containers go (each already stopped and removed).
  std::erase_if(replicas_, [](const auto& r) { return r->retiring; });
  retired_.push_back(std::move(project_));
  project_ = std::move(run->project);
  graph_ = std::move(*run->graph);
  hashes_ = run->hashes;
  for (auto& [s, image] : run->images) images_.insert_or_assign(s, std::move(image));
  to_start_.clear();
  std::set<std::string> services;
  for (const auto& v : {plan.create, plan.recreate})
    for (const auto& s : v) {
      to_start_[s.service].push_back(s.index);
      services.insert(s.service);
      start.push_back(name(s));
    }
  for (auto& [s, n] : to_start_) std::sort(n.begin(), n.end());
  for (const auto& s : services) reported_.erase(s);
  if (networks_)
    if (auto adopted = networks_->adopt(project_); !adopted)
      std::fprintf(stderr, "supervisor: %s\n", adopted.error().message.c_str());
  for (const auto& v : {plan.create, plan.recreate})
    for (const auto& s : v) join_network(s.service, name(s));
  if (ports_ && run->ports)
    if (auto served = ports_->commit(std::move(*run->ports)); !served)
      std::fprintf(stderr, "supervisor: %s\n", served.error().message.c_str());
  reshape_kept(*run);
  start_.emplace(graph_, std::move(services));
  json reply{{"containers", lines}, {"orphans", orphans}, {"start", start}};
  if (!recovery_note_.empty()) reply["recovered"] = std::exchange(recovery_note_, "");
  run->resp->reply(reply);
  pump();
}

// Every service that has containers after the apply, with its highest replica index:
// the selected ones as wanted, the others (and orphans kept running) as they are.
Result<void> StackSupervisor::prepare_ports(ApplyRun& run) const {
  std::map<std::string, uint64_t> have;
  std::map<std::string, const model::Service*> orphans;
  for (const auto& r : replicas_) {
    have[r->service] = std::max(have[r->service], r->index);
    if (!run.project.services.count(r->service) && !run.options.remove_orphans) orphans[r->service] = r->spec;
  }
  std::map<std::string, PortService> services;
  for (const auto& [name, s] : run.project.services) {
    auto sel = run.selected.find(name);
    services[name] = {&s, sel != run.selected.end() ? sel->second : have[name]};
  }
  for (const auto& [name, spec] : orphans) services[name] = {spec, have[name]};
  auto change = ports_->prepare(services);
  if (!change) return unexpected(change.error());
  run.ports = std::move(*change);
  return {};
}

// A kept container of a selected service has the new hash, so only its replica count or
// x-bandwidth can differ: it takes the new service (a restart shapes from it), and its
// links whose limit changed are reshaped, connections open.
void StackSupervisor::reshape_kept(const ApplyRun& run) {
  for (const auto& s : run.plan.keep) {
    auto* r = find_replica(replicas_, s);
    if (!r || !run.selected.count(s.service) || r->hash != hashes_.at(s.service)) continue;
    const model::Service* was = r->spec;
    r->spec = &project_.services.at(s.service);
    if (!networks_ || !was) continue;
    for (const auto& [network, veth] : networks_->links_of(r->name)) {
      if (model::bandwidth_on(*was, network) == model::bandwidth_on(*r->spec, network)) continue;
      auto shaped = reshape_link(*r->spec, network, veth, journal_);
      std::fprintf(stderr, "supervisor: %s: x-bandwidth on network %s %s%s\n", r->name.c_str(), network.c_str(),
                   shaped ? "changed in place" : "not changed: ", shaped ? "" : shaped.error().message.c_str());
    }
  }
}

void StackSupervisor::leave_network(const std::string& container) {
  if (!networks_) return;
  if (auto left = networks_->leave(container, journal_); !left)
    std::fprintf(stderr, "supervisor: %s\n", left.error().message.c_str());
}

// A new (or recreated) container joins its service's networks before it starts, as the
// first containers do in make_network: its names reach the name servers and the
// /etc/hosts of the members it shares a network with; make_replica joins it again with
// its own /etc files (MemberOptions) when it is made.
void StackSupervisor::join_network(const std::string& service, const std::string& container) {
  if (!networks_ || !networks_->networked(service)) return;
  if (auto joined = networks_->join(container, service, {}, journal_); !joined)
    std::fprintf(stderr, "supervisor: %s\n", joined.error().message.c_str());
}

std::vector<uint64_t> StackSupervisor::indices_to_start(const std::string& service) const {
  auto it = to_start_.find(service);
  return it == to_start_.end() ? std::vector<uint64_t>{} : it->second;
}

}  // namespace stack::cli
