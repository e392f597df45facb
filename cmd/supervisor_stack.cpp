#include "cmd/supervisor_stack.hpp"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <ctime>

#include "cmd/limit_enforcement.hpp"
#include "cmd/run_spec.hpp"
#include "cmd/supervisor_control.hpp"
#include "cmd/supervisor_health.hpp"
#include "cmd/up_bandwidth.hpp"
#include "cmd/up_common.hpp"
#include "cmd/up_netmode.hpp"
#include "cmd/up_teardown.hpp"
#include "engine/base/file.hpp"
#include "engine/cgroup/path.hpp"
#include "engine/runtime/cleanup.hpp"
#include "engine/supervisor/log_format.hpp"
#include "engine/supervisor/log_printer.hpp"
#include "engine/supervisor/ps_status.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;
namespace rt = stack::engine::runtime;

int signal_number(const std::string& name) {
  if (name.empty()) return SIGTERM;
  if (name.find_first_not_of("0123456789") == std::string::npos) return std::stoi(name);
  std::string n = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  for (int s = 1; s < SIGRTMIN; ++s)
    if (const char* a = ::sigabbrev_np(s); a && n == a) return s;
  return 0;
}

Result<sv::DependencyGraph> make_graph(const model::Project& p) {
  std::vector<sv::ServiceDeps> deps;
  for (const auto& [name, s] : p.services) {
    sv::ServiceDeps d{name, service_health(s).has_value(), {}};
    for (const auto& [dep, how] : s.depends_on) {
      auto c = sv::parse_depend_condition(how.condition);
      if (!c) return unexpected(c.error().wrap("service " + name + ": depends_on " + dep));
      d.depends_on.push_back({dep, *c, how.required});
    }
    deps.push_back(std::move(d));
  }
  return sv::DependencyGraph::build(std::move(deps));
}

namespace {

std::string join_args(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// docker's Command column: the command cut to 20 characters (19 and "…"), in quotes.
std::string compose_command(const std::string& command) {
  std::string c = command.size() > 20 ? command.substr(0, 19) + "\u2026" : command;
  return "\"" + c + "\"";
}

// docker's CreatedAt: "2026-12-02 16:09:03 +0000 UTC".
std::string docker_time(int64_t ns) {
  if (!ns) return "";
  std::time_t t = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

Result<sv::RestartSpec> restart_of(const model::Service& s) {
  std::optional<sv::DeployRestartPolicy> deploy;
  if (s.deploy && s.deploy->restart_policy) {
    const auto& r = *s.deploy->restart_policy;
    deploy = sv::DeployRestartPolicy{r.condition, r.delay_ns, r.max_attempts, r.window_ns};
  }
  auto spec = sv::restart_spec(s.restart, deploy);
  if (!spec) return unexpected(spec.error().wrap("service " + s.name + ": restart"));
  return spec;
}

}  // namespace

Result<std::unique_ptr<StackSupervisor>> StackSupervisor::create(uv_loop_t* loop, model::Project project,
                                                                 state::Layout layout, std::string state_root) {
  auto graph = make_graph(project);
  if (!graph) return unexpected(graph.error());
  auto store = image::ImageStore::open(state_root);
  if (!store) return unexpected(store.error());
  auto catalog = store->catalog();
  if (!catalog) return unexpected(catalog.error());
  std::map<std::string, image::Image> images;
  for (const auto& [name, s] : project.services) {
    auto image = catalog->resolve(s.image);
    if (!image) return unexpected(image.error().wrap("service " + name));
    images.emplace(name, std::move(*image));
  }
  auto journal = state::Journal::open(layout.journal());
  if (!journal) return unexpected(journal.error());
  std::unique_ptr<StackSupervisor> sup(new StackSupervisor(loop, std::move(project), std::move(layout),
                                                           std::move(state_root), std::move(*journal),
                                                           std::move(*graph)));
  sup->images_ = std::move(images);
  // The project's parent group goes last on replay (records are undone newest first).
  auto rec = sup->journal_.add("cgroup", {{"rel", cgroup::project_path(sup->project_.name)}});
  if (!rec) return unexpected(rec.error());
  STACK_TRY(sup->make_network());
  auto* self = sup.get();
  auto server = sv::ControlServer::create(
      loop, sup->layout_.control_socket(),
      [self](sv::Request&& r, const sv::Peer&, sv::Responder resp) { self->handle(std::move(r), resp); });
  if (!server) return unexpected(server.error());
  sup->server_ = std::move(*server);
  auto timer = net::UvTimer::create(loop);
  if (!timer) return unexpected(timer.error());
  sup->exit_timer_ = std::move(*timer);
  auto timer2 = net::UvTimer::create(loop);
  if (!timer2) return unexpected(timer2.error());
  sup->teardown_timer_ = std::move(*timer2);
  auto term = SignalWatch::create(loop, SIGTERM, [self] { self->terminate(); });
  if (!term) return unexpected(term.error());
  sup->sigterm_ = std::move(*term);
  auto control = StackControl::create(*sup);
  if (!control) return unexpected(control.error());
  sup->control_ = std::move(*control);
  return sup;
}

StackSupervisor::~StackSupervisor() {
  control_.reset();
  execs_.reset();
  runs_.reset();
  replicas_.clear();
  server_.reset();
  exit_timer_.reset();
  teardown_timer_.reset();
  sigterm_.reset();
  ports_.reset();
  networks_.reset();
}

bool StackSupervisor::finished() const {
  return finished_ && (!control_ || control_->idle()) && (!net_reaping_ || net_reaping_->in_flight == 0);
}

void StackSupervisor::terminate() {
  std::fprintf(stderr, "supervisor: SIGTERM: stopping the stack\n");
  down(std::nullopt, std::nullopt);
}

// The stack's networks, then the first containers' addresses (so that the published
// ports know their backends and every first /etc/hosts names every first container),
// then the ports, all before any container starts.
Result<void> StackSupervisor::make_network() {
  auto nets = StackNetworks::make(loop_, root_, project_, journal_);
  if (!nets) return unexpected(nets.error());
  networks_ = std::move(*nets);
  net_reaping_ = networks_->reaping();
  for (const auto& note : networks_->notes()) std::fprintf(stderr, "supervisor: note: %s\n", note.c_str());
  std::vector<StackNetworks::Joining> joining;
  for (const auto& [name, s] : project_.services)
    if (networks_->networked(name))
      for (uint64_t n = 1; n <= std::max<uint64_t>(1, s.replicas()); ++n)
        joining.emplace_back(container_name(project_.name, name, n), name);
  STACK_TRY(networks_->join_all(joining, journal_));
  ports_ = std::make_unique<StackPorts>(
      loop_, PortBackends{project_.name, networks_.get(), [this](const std::string& s) { return running_indices(s); }});
  std::map<std::string, PortService> services;
  for (const auto& [name, s] : project_.services) services[name] = {&s, s.replicas()};
  auto ports = ports_->prepare(services);
  if (!ports) return unexpected(ports.error());
  return ports_->commit(std::move(*ports));
}

std::vector<uint64_t> StackSupervisor::running_indices(const std::string& service) const {
  std::vector<uint64_t> out;
  for (const auto& r : replicas_)
    if (r->service == service && !r->retiring && r->runner && r->runner->info().state == sv::RunState::kRunning)
      out.push_back(r->index);
  std::sort(out.begin(), out.end());
  return out;
}

pid_t StackSupervisor::running_pid(const std::string& service) const {
  for (const auto& r : replicas_)
    if (r->service == service && r->runner && r->runner->info().state == sv::RunState::kRunning)
      return r->runner->info().pid;
  return 0;
}

// Nothing starts before an `up` sends "apply" (supervisor_apply.cpp): it says which
// services, how many replicas, and brings the project as that `up` loaded it.
void StackSupervisor::start() { apply_next(); }

void StackSupervisor::handle(sv::Request&& r, sv::Responder resp) {
  if (control_->handle(r, resp)) return;
  if (r.method == "ps") return resp.reply(ps(r.params.value("all", false)));
  if (handle_stats(r, resp)) return;
  if (r.method == "exec") return exec(std::move(r), resp);
  if (r.method == "run_join") return run_join(std::move(r), resp);
  if (r.method == "wait") {
    waiters_.push_back(resp);
    return answer_waiters();
  }
  if (r.method == "apply") return apply(std::move(r.params), resp);
  if (r.method == "down") {
    std::optional<int64_t> t;
    if (r.params.contains("timeout") && r.params["timeout"].is_number_integer()) t = r.params["timeout"].get<int64_t>();
    return down(t, resp);
  }
  resp.fail(Error{EINVAL, "unknown method '" + r.method + "'"});
}

void StackSupervisor::pump() {
  if (pumping_) {
    again_ = true;
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    if (down_started_) break;
    // A service's replicas start as soon as they are made, while the loop makes the next
    // service's: the pool makes containers during the loop's cgroup mkdirs. (All groups
    // were made first while a child's join into a v1 group held cgroup_mutex through an
    // RCU grace period; it joins through `tasks` now, which does not.)
    for (const auto& s : start_->ready()) {
      std::vector<sv::ContainerRunner*> made;
      launch(s, made);
      for (auto* runner : made) runner->start(false);  // they set up at the same time
    }
  } while (again_);
  pumping_ = false;
  answer_waiters();
  schedule_apply();
}

void StackSupervisor::launch(const std::string& service, std::vector<sv::ContainerRunner*>& runners) {
  launched_.insert(service);
  const auto& s = project_.services.at(service);
  for (uint64_t n : indices_to_start(service)) {
    replicas_.push_back(std::make_unique<Replica>());
    Replica& r = *replicas_.back();
    r.service = service;
    r.name = container_name(project_.name, service, n);
    r.index = n;
    r.hash = hashes_[service];
    r.spec = &s;
    if (auto made = make_replica(r, s, n); !made) {
      r.error = made.error().message;
      start_->failed(service, r.error);
      return;
    }
    runners.push_back(r.runner.get());
  }
}

NetworkContext StackSupervisor::network_context() {
  return {networks_.get(), root_, [this](const std::string& svc) { return running_pid(svc); }, &journal_};
}

Result<void> StackSupervisor::make_replica(Replica& r, const model::Service& s, uint64_t n) {
  STACK_TRY(state::check_container_name(r.name));
  r.created_ns = sv::now_ns();
  auto limits = service_limits(s);
  if (!limits) return unexpected(limits.error());
  auto parent = service_cgroup_parent(s, cgroup_parent_);
  if (!parent) return unexpected(parent.error());
  if (!parent->is_default() && !prepared_parents_.count(parent->spec())) {
    STACK_TRY(prepare_cgroup_parent(*parent, project_.name, journal_));
    prepared_parents_.insert(parent->spec());
  }
  std::string group = s.name + "-" + std::to_string(n);
  auto rec = journal_.add("cgroup", cgroup_record(cgroup::project_path(project_.name) + "/" + cgroup::escape_name(group), *parent));
  if (!rec) return unexpected(rec.error());
  auto enforcement = enforcement_of(s, ignore_unenforced_);
  if (!enforcement) return unexpected(enforcement.error());
  auto cg = RunCgroup::make(project_.name, group, *limits, *enforcement, *parent);
  if (!cg) return unexpected(cg.error().wrap("service " + s.name));
  r.cgroup.emplace(std::move(*cg));
  r.warnings = r.cgroup->warnings();
  auto policy = restart_of(s);
  if (!policy) return unexpected(policy.error());
  std::optional<sv::LogFileOptions> lo = sv::LogFileOptions{};
  if (s.logging) {
    auto o = sv::parse_log_options(s.logging->driver, s.logging->options);
    if (!o) return unexpected(o.error().wrap("service " + s.name + ": logging"));
    lo = *o;  // driver none: no log file, the output is discarded (docker's none driver)
  }
  std::shared_ptr<sv::LogFile> log;
  if (lo) {
    STACK_TRY(make_dirs(layout_.log_dir(r.name), 0755));
    auto opened = sv::LogFile::open(layout_.log_file(r.name), *lo);
    if (!opened) return unexpected(opened.error());
    log = std::move(*opened);
  }
  rec = journal_.add("container", {{"dir", root_ + "/containers/" + r.name}});
  if (!rec) return unexpected(rec.error());
  Replica* rp = &r;
  // On the loop: the spec, the cgroup, the network's addresses. Then the container is
  // made on the pool, and back on the loop its netns gets its links while the child
  // waits for go, before the command runs.
  auto factory = [this, rp, &s](const rt::Stdio& stdio) -> Result<sv::ContainerRunner::Launch> {
    rp->cgroup->mark_run();
    auto spec = service_spec(project_, s, images_.at(s.name), {}, root_, rp->name, &journal_);
    if (!spec) return unexpected(spec.error());
    for (const auto& dir : spec->anonymous_volumes) (void)journal_.add("dir", {{"path", dir}});
    spec->spec.stdio = stdio;
    spec->spec.cgroup_fd = rp->cgroup->clone_fd();
    spec->spec.cgroup_join = rp->cgroup->join_files();  // v1/hybrid: it joins the v1 groups itself
    rp->command = join_args(spec->spec.process.args);
    STACK_TRY(network_spec(spec->spec, s, rp->name, network_context()));
    auto made = std::make_shared<rt::Spec>(std::move(spec->spec));
    sv::ContainerRunner::Launch launch;
    launch.create = [made, root = root_, name = rp->name]() -> Result<rt::Container> {
      // What a reboot with the stack up left of this container (cleanup.hpp) goes first,
      // here on the pool: its upper dir may be large.
      auto stale = rt::remove_container_from_earlier_boot(root + "/containers/" + name);
      if (!stale) return unexpected(stale.error().wrap("removing what an earlier boot left of container " + name));
      return rt::Container::create(std::move(*made), {root, name});
    };
    launch.created = [this, rp, &s](rt::Container& c) -> Result<void> {
      STACK_TRY(network_attach(s, rp->name, c.pid(), network_context()));
      // rp->spec, not s: an apply that changed only x-bandwidth points it at the new service.
      if (networks_)
        for (const auto& [network, veth] : networks_->links_of(rp->name))
          STACK_TRY(shape_new_link(*rp->spec, network, veth, journal_));
      return {};
    };
    return launch;
  };
  auto runner = sv::ContainerRunner::create(loop_, factory, *policy, std::move(log),
                                            [this, rp](const sv::RunInfo& info) { on_change(*rp, info); });
  if (!runner) return unexpected(runner.error());
  r.runner = std::move(*runner);
  r.runner->classify_exit([rp](rt::ExitStatus& st) { st.oom = rp->cgroup->oom_killed_since_mark(); });
  r.runner->watch_oom({[rp] { return rp->cgroup->watch_oom(); }, [rp] { return rp->cgroup->oom_kills_since_mark(); }},
                      [this, rp] {
                        std::fprintf(stderr, "%s: OOM kill\n", rp->name.c_str());
                        control_->publish(*rp, "oom");
                        control_->mark_dirty();  // state.json's OOMKilled
                      });
  return make_health(r, s);
}

Result<void> StackSupervisor::make_health(Replica& r, const model::Service& s) {
  auto h = service_health(s);
  if (!h) return {};
  Replica* rp = &r;
  auto probe = exec_probe(*r.runner, r.cgroup->clone_fd(), r.cgroup->join_files(), r.name, h->argv);
  auto health = sv::HealthRunner::create(loop_, h->spec, std::move(probe),
                                         [this, rp](sv::Health status) { on_health(*rp, status); });
  if (!health) return unexpected(health.error().wrap("healthcheck of " + r.name));
  r.health = std::move(*health);
  return {};
}

// A service is healthy once each of its replicas is; one unhealthy replica fails it
// (compose's service_healthy waits for every container of the service).
void StackSupervisor::on_health(Replica& r, sv::Health status) {
  std::string last = r.health->log().empty() ? "" : r.health->log().back().output;
  std::fprintf(stderr, "%s: health: %s%s%s\n", r.name.c_str(), std::string(sv::to_string(status)).c_str(),
               last.empty() ? "" : ": ", last.c_str());
  // Docker's event: "health_status: healthy" (compose passes the action through).
  if (status != sv::Health::kStarting)
    control_->publish(r, "health_status: " + std::string(sv::to_string(status)));
  control_->mark_dirty();  // state.json's Health
  bool all = true;
  for (const auto& o : replicas_)
    if (o->service == r.service) all = all && o->health && o->health->status() == sv::Health::kHealthy;
  if (status == sv::Health::kUnhealthy) start_->unhealthy(r.service);
  else if (all) start_->healthy(r.service);
  if (!down_started_) pump();
}

void StackSupervisor::on_change(Replica& r, const sv::RunInfo& info) {
  if (r.retiring || r.orphan) {  // no longer part of the start: an apply or down waits for it
    control_->changed(r, info);  // its events (die), exit waiters, state.json
    if (apply_ && !apply_->committing) apply_stop_pump();
    if (down_started_) stop_pump();
    return;
  }
  int code = info.last_exit ? info.last_exit->code : 0;
  if (r.health && info.state == sv::RunState::kRunning) r.health->start(info.started_ns);
  if (info.state != sv::RunState::kRunning) {
    if (r.health) r.health->stop();  // a restart begins again at "starting"
    r.finished_ns = sv::now_ns();
  }
  switch (info.state) {
    case sv::RunState::kRunning: {
      r.started = true;
      bool all = true;
      for (const auto& o : replicas_) all = all && (o->service != r.service || o->started);
      if (all && reported_.insert(r.service).second) start_->started(r.service);
      break;
    }
    case sv::RunState::kRestarting: start_->exited(r.service, code, true); break;
    case sv::RunState::kExited: start_->exited(r.service, code, false); break;
    case sv::RunState::kDead:
      r.error = info.error;
      start_->failed(r.service, info.error);
      break;
    case sv::RunState::kCreated: break;
  }
  control_->changed(r, info);
  if (!info.error.empty()) std::fprintf(stderr, "%s: %s: %s\n", r.name.c_str(),
                                        std::string(sv::to_string(info.state)).c_str(), info.error.c_str());
  if (down_started_) return stop_pump();
  pump();
}

nlohmann::json StackSupervisor::wait_result() const {
  auto list = nlohmann::json::array();
  for (const auto& r : replicas_) {
    nlohmann::json e{{"name", r->name}, {"service", r->service}};
    if (r->started) e["status"] = "Started";
    else e["status"] = "Error", e["message"] = r->error;
    if (!r->warnings.empty()) e["warnings"] = r->warnings;
    list.push_back(e);
  }
  for (const auto& [service, why] : start_->blocked())
    list.push_back({{"name", container_name(project_.name, service, 1)}, {"service", service}, {"status", "Error"},
                    {"message", why}});
  return {{"containers", list}};
}

bool StackSupervisor::start_done() const {
  if (!start_ || !start_->finished()) return false;
  for (const auto& r : replicas_)
    if (r->runner && r->runner->starting()) return false;
  return true;
}

void StackSupervisor::answer_waiters() {
  if (!start_ || (!start_done() && !down_started_) || pumping_) return;
  auto result = wait_result();
  for (const auto& w : waiters_) w.reply(result);
  waiters_.clear();
}

nlohmann::json StackSupervisor::ps(bool all) {
  auto list = nlohmann::json::array();
  for (const auto& r : replicas_) {
    if (!r->runner) continue;
    const auto& i = r->runner->info();
    bool up = i.state == sv::RunState::kRunning || i.state == sv::RunState::kRestarting;
    if (!all && !up) continue;
    bool oom = i.oom_killed;
    std::optional<sv::Health> health;
    if (r->health && r->health->active()) health = r->health->status();
    nlohmann::json e{{"ID", r->name},
                    {"Name", r->name},
                    {"Image", r->spec ? r->spec->image : ""},
                    {"Command", compose_command(r->command)},
                    {"CreatedAt", docker_time(r->created_ns)},
                    {"RunningFor", r->created_ns ? sv::human_duration(sv::now_ns() - r->created_ns) + " ago" : ""},
                    {"Service", r->service},
                    {"Project", project_.name},
                    {"State", std::string(sv::to_string(i.state))},
                    {"Status", sv::status_text({i.state, health, i.last_exit ? i.last_exit->code : 0, i.started_ns,
                                                r->finished_ns, sv::now_ns()})},
                    {"Health", health ? std::string(sv::to_string(*health)) : ""},
                    {"ExitCode", i.last_exit ? i.last_exit->code : 0},
                    {"Publishers", ports_ ? ports_->publishers(r->service, r->index) : nlohmann::json::array()},
                    {"Pid", i.pid},
                    {"RestartCount", i.restart_count},
                    {"OOMKilled", oom},
                    {"StartedAt", i.started_ns ? sv::format_rfc3339_nano_fixed(i.started_ns) : ""},
                    {"Error", i.error}};
    control_->decorate(*r, e);
    list.push_back(std::move(e));
  }
  return {{"containers", list}};
}

void StackSupervisor::down(std::optional<int64_t> timeout_s, std::optional<sv::Responder> resp) {
  if (resp) downs_.push_back(*resp);
  if (down_started_) {
    // A second down with a shorter timeout (up's second Ctrl-C): what is stopping gets
    // its SIGKILL sooner, and so does what is still to stop.
    if (timeout_s && (!stop_timeout_s_ || *timeout_s < *stop_timeout_s_)) {
      stop_timeout_s_ = timeout_s;
      for (auto& r : replicas_)
        if (down_stopping_.count(r->name)) stop_replica(*r, stop_timeout_s_);
    }
    return;
  }
  down_started_ = true;
  control_->going_down();
  stop_timeout_s_ = timeout_s;
  answer_waiters();
  apply_next();  // queued applies are refused
  // Dependants first (StopRun); an orphan's service, outside the graph, with the first.
  std::set<std::string> services = launched_;
  for (const auto& r : replicas_) services.insert(r->service);
  stop_.emplace(
      graph_, std::move(services),
      [this](const std::string& s) {
        for (auto& r : replicas_)
          if (r->service == s && stop_replica(*r, stop_timeout_s_)) down_stopping_.insert(r->name);
      },
      [this](const std::string& s) { return service_down(s); },
      [this](const std::string& s) {
        for (const auto& r : replicas_)
          if (r->service == s && down_stopping_.count(r->name)) control_->publish(*r, "stop");
      });
  stop_pump();
}

void StackSupervisor::stop_pump() {
  stop_->pump();
  if (!stop_->finished() || tearing_down_) return;
  tearing_down_ = true;
  // Not from here: this may run inside a runner's callback, and teardown frees runners.
  if (!teardown_timer_->start(0, 0, [this] { finish_down(); })) finish_down();
}


bool StackSupervisor::up(const Replica& r) {
  if (!r.runner) return false;
  auto st = r.runner->info().state;
  return st == sv::RunState::kRunning || st == sv::RunState::kRestarting;
}

bool StackSupervisor::stop_replica(Replica& r, std::optional<int64_t> timeout_s) {
  if (!up(r) || !r.spec) return false;
  int sig = signal_number(r.spec->stop_signal);
  if (sig <= 0) sig = SIGTERM;
  int64_t grace_ms = timeout_s ? *timeout_s * 1000 : r.spec->stop_grace_period_ns.value_or(10'000'000'000) / 1'000'000;
  grace_ms = std::max<int64_t>(0, grace_ms);
  std::fprintf(stderr, "%s: stopping: signal %d, SIGKILL after %lld ms\n", r.name.c_str(), sig,
               static_cast<long long>(grace_ms));
  if (r.runner->info().state == sv::RunState::kRunning) control_->publish(r, "kill", {{"signal", std::to_string(sig)}});
  r.runner->stop(sig, std::chrono::milliseconds(grace_ms));
  return true;
}

bool StackSupervisor::service_down(const std::string& service, const std::set<std::string>& names) const {
  for (const auto& r : replicas_)
    if (r->service == service && (names.empty() || names.count(r->name)) && up(*r)) return false;
  return true;
}

void StackSupervisor::finish_down() {
  auto exits = nlohmann::json::array();  // for up --exit-code-from
  for (const auto& r : replicas_)
    if (r->runner && r->runner->info().last_exit)
      exits.push_back({{"name", r->name}, {"service", r->service}, {"code", r->runner->info().last_exit->code}});
  replicas_.clear();  // removes each container (its journal) and its cgroup
  // The name servers close before the journal removes their bridges: once a bridge's
  // route is gone another stack may lease its subnet, and its name server cannot bind
  // the gateway's port 53 while ours still holds it (seen as EADDRINUSE in a test).
  ports_.reset();
  runs_.reset();
  networks_.reset();
  outcome_ = replay_stack_journal(layout_);
  if (outcome_) outcome_ = remove_stack_logs(layout_);
  for (const auto& d : downs_) {
    if (outcome_) d.reply({{"exits", exits}});
    else d.fail(outcome_.error());
  }
  downs_.clear();
  control_->close();
  // The replies are on their way (uv_write); the loop ends once the kernel has them all
  // (the CLI's down waits for this process to be gone), or after 100 ms.
  auto done = [this] {
    server_.reset();
    sigterm_.reset();
    finished_ = true;
  };
  auto polls = std::make_shared<int>(0);
  auto check = [this, done, polls] {
    if (server_ && !server_->flushed() && ++*polls < 100) return;
    exit_timer_->stop();
    done();
  };
  if (!exit_timer_->start(0, 1, check)) done();
}

}  // namespace stack::cli
