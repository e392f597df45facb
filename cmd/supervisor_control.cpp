#include "cmd/supervisor_control.hpp"

#include <signal.h>

#include <algorithm>
#include <optional>

#include "engine/supervisor/log_format.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;

namespace {

constexpr int64_t kFreezeWaitNs = 5'000'000'000;

bool up(const sv::RunInfo& i) { return i.state == sv::RunState::kRunning || i.state == sv::RunState::kRestarting; }

nlohmann::json entry(const std::string& name, const std::string& error = {}) {
  nlohmann::json e{{"name", name}};
  if (!error.empty()) e["error"] = error;
  return e;
}

std::optional<int64_t> timeout_of(const nlohmann::json& params) {
  if (params.contains("timeout") && params["timeout"].is_number_integer()) return params["timeout"].get<int64_t>();
  return std::nullopt;
}

int signal_of(const nlohmann::json& params) {
  if (params.contains("signal") && params["signal"].is_number_integer()) return params["signal"].get<int>();
  return SIGKILL;
}

}  // namespace

bool StackControl::handle(sv::Request& r, sv::Responder& resp) {
  static const std::set<std::string> kMethods{"start", "stop",      "restart", "kill", "pause",
                                              "unpause", "wait_exit", "events",  "state"};
  if (!kMethods.count(r.method)) return false;
  if (r.method == "state") {
    resp.reply(document());
    return true;
  }
  auto list = targets(r.params);
  if (!list) {
    resp.fail(list.error());
    return true;
  }
  if (r.method == "events") {
    std::set<std::string> services;
    for (const auto& s : r.params.value("services", nlohmann::json::array())) services.insert(s.get<std::string>());
    if (closed_) resp.reply(nlohmann::json::object());
    else events_.subscribe(resp, std::move(services));
    return true;
  }
  if (r.method == "wait_exit") {
    wait_exit(resp, *list);
    return true;
  }
  if (s_.down_started_) {
    resp.fail(Error{EBUSY, "stack " + s_.project_.name + " is going down"});
    return true;
  }
  if (r.method == "start") resp.reply({{"containers", start(*list, false)}});
  else if (r.method == "kill") resp.reply({{"containers", kill(*list, signal_of(r.params))}});
  else if (r.method == "unpause") resp.reply({{"containers", unpause(*list)}});
  else if (r.method == "pause") pause(Op{r.method, resp, {}}, *list);
  else stop(Op{r.method, resp, {}}, *list, timeout_of(r.params));
  return true;
}

// The containers of the named services (all when none is named), in start order.
Result<std::vector<StackControl::Replica*>> StackControl::targets(const nlohmann::json& params) const {
  if (!params.is_object()) return fail("params: want an object");
  std::set<std::string> services;
  auto named = params.value("services", nlohmann::json::array());
  if (!named.is_array()) return fail("services: want a list of names");
  for (const auto& s : named) {
    if (!s.is_string()) return fail("services: want a list of names");
    if (!s_.project_.services.count(s.get<std::string>())) return fail("no such service: " + s.get<std::string>());
    services.insert(s.get<std::string>());
  }
  std::vector<Replica*> out;
  for (const auto& r : s_.replicas_)
    if (r->runner && (services.empty() || services.count(r->service))) out.push_back(r.get());
  return out;
}

StackControl::Replica* StackControl::find(const std::string& name) const {
  for (const auto& r : s_.replicas_)
    if (r->name == name) return r.get();
  return nullptr;
}

// Dependencies first (compose starts, and restarts, in dependency order).
nlohmann::json StackControl::start(std::vector<Replica*> list, bool restarted) {
  auto order = s_.graph_.start_order();
  auto rank = [&](const Replica* r) { return std::find(order.begin(), order.end(), r->service) - order.begin(); };
  std::stable_sort(list.begin(), list.end(), [&](Replica* a, Replica* b) { return rank(a) < rank(b); });
  auto out = nlohmann::json::array();
  for (Replica* r : list) {
    if (!up(r->runner->info())) r->runner->start();
    const auto& i = r->runner->info();
    out.push_back(entry(r->name, i.state == sv::RunState::kDead ? i.error : ""));
    if (restarted && i.state == sv::RunState::kRunning) publish(*r, "restart");
  }
  return out;
}

// In reverse dependency order among the named services (dependants first, the
// independent ones together): stop_signal, then SIGKILL after the grace period (-t or
// the service's stop_grace_period). tick() moves the order on as containers exit; the
// op is answered once every container is down.
void StackControl::stop(Op op, const std::vector<Replica*>& list, std::optional<int64_t> timeout_s) {
  std::set<std::string> services, names;
  for (Replica* r : list) {
    op.names.push_back(r->name);
    names.insert(r->name);
    services.insert(r->service);
    if (paused_.erase(r->name)) (void)r->cgroup->freeze(false);
  }
  op.order = std::make_unique<sv::StopRun>(
      s_.graph_, std::move(services),
      [this, names, timeout_s](const std::string& service) {
        for (auto& r : s_.replicas_)
          if (r->service == service && names.count(r->name)) s_.stop_replica(*r, timeout_s);
      },
      [this, names](const std::string& service) { return s_.service_down(service, names); },
      [this, names](const std::string& service) {
        for (const auto& r : s_.replicas_)
          if (r->service == service && names.count(r->name)) publish(*r, "stop");
      });
  op.order->pump();
  ops_.push_back(std::move(op));
  arm(0);
}

// docker kill: a fatal signal (SIGKILL, the stop signal) keeps the restart policy
// from bringing the container back; others (SIGHUP, SIGUSR1...) leave it in place.
nlohmann::json StackControl::kill(const std::vector<Replica*>& list, int signal) {
  auto out = nlohmann::json::array();
  for (Replica* r : list) {
    if (!up(r->runner->info())) continue;
    if (paused_.count(r->name)) {
      out.push_back(entry(r->name, "container " + r->name + " is paused; unpause it first"));
      continue;
    }
    int stop_sig = r->spec ? signal_number(r->spec->stop_signal) : 0;  // an orphan's spec is of its project
    bool fatal = signal == SIGKILL || signal == (stop_sig > 0 ? stop_sig : SIGTERM);
    bool running = r->runner->info().state == sv::RunState::kRunning;
    auto k = r->runner->kill(signal, fatal);
    out.push_back(entry(r->name, k ? "" : "container " + r->name + ": " + k.error().message));
    if (k && running) publish(*r, "kill", {{"signal", std::to_string(signal)}});
  }
  return out;
}

void StackControl::pause(Op op, const std::vector<Replica*>& list) {
  for (Replica* r : list) {
    if (r->runner->info().state != sv::RunState::kRunning) continue;  // compose pauses running ones
    if (paused_.count(r->name)) {
      op.results.push_back(entry(r->name, "container " + r->name + " is already paused"));
      continue;
    }
    if (auto f = r->cgroup->freeze(true); !f) {
      op.results.push_back(entry(r->name, "container " + r->name + ": " + f.error().message));
      continue;
    }
    paused_.insert(r->name);
    op.names.push_back(r->name);
    publish(*r, "pause");
  }
  mark_dirty();
  op.deadline_ns = sv::now_ns() + kFreezeWaitNs;
  ops_.push_back(std::move(op));
  arm(0);
}

nlohmann::json StackControl::unpause(const std::vector<Replica*>& list) {
  auto out = nlohmann::json::array();
  for (Replica* r : list) {
    if (!paused_.count(r->name)) continue;
    auto t = r->cgroup->freeze(false);
    if (t) {
      paused_.erase(r->name);
      publish(*r, "unpause");
    }
    out.push_back(entry(r->name, t ? "" : "container " + r->name + ": " + t.error().message));
  }
  mark_dirty();
  return out;
}

// compose wait: one event per container as it exits (at once for one already down).
void StackControl::wait_exit(sv::Responder resp, const std::vector<Replica*>& list) {
  ExitWaiter w{resp, {}};
  for (Replica* r : list) {
    const auto& i = r->runner->info();
    if (i.state == sv::RunState::kExited || i.state == sv::RunState::kDead)
      resp.event({{"name", r->name}, {"exit_code", i.last_exit ? i.last_exit->code : 255}});
    else
      w.names.insert(r->name);
  }
  if (w.names.empty() || closed_) return resp.reply(nlohmann::json::object());
  exit_waiters_.push_back(std::move(w));
}

}  // namespace stack::cli
