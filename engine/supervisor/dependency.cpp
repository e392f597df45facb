#include "engine/supervisor/dependency.hpp"

#include <algorithm>
#include <functional>

namespace stack::supervisor {

Result<DependCondition> parse_depend_condition(const std::string& s) {
  if (s.empty() || s == "service_started") return DependCondition::kStarted;
  if (s == "service_healthy") return DependCondition::kHealthy;
  if (s == "service_completed_successfully") return DependCondition::kCompletedSuccessfully;
  return fail("invalid depends_on condition '" + s +
              "': want service_started, service_healthy or service_completed_successfully");
}

Result<DependencyGraph> DependencyGraph::build(std::vector<ServiceDeps> services) {
  DependencyGraph g;
  for (auto& s : services) {
    std::string name = s.name;
    if (!g.services_.emplace(name, std::move(s)).second) return fail("service '" + name + "' is defined twice");
  }
  for (auto& [name, s] : g.services_) {
    std::vector<DependsOn> kept;
    for (auto& d : s.depends_on) {
      auto it = g.services_.find(d.service);
      if (it == g.services_.end()) {
        if (!d.required) continue;
        return fail("service '" + name + "' depends on undefined service '" + d.service + "'");
      }
      if (d.condition == DependCondition::kHealthy && !it->second.has_healthcheck)
        return fail("service '" + name + "' depends on '" + d.service +
                    "' being healthy, but '" + d.service + "' has no healthcheck");
      kept.push_back(d);
    }
    s.depends_on = std::move(kept);
  }
  // Kahn's algorithm over names in order: a stable topological order.
  std::map<std::string, std::size_t> waiting;
  for (auto& [name, s] : g.services_) waiting[name] = s.depends_on.size();
  std::set<std::string> ready;
  for (auto& [name, n] : waiting)
    if (n == 0) ready.insert(name);
  while (!ready.empty()) {
    std::string next = *ready.begin();
    ready.erase(ready.begin());
    g.order_.push_back(next);
    for (auto& [name, s] : g.services_)
      for (auto& d : s.depends_on)
        if (d.service == next && --waiting[name] == 0) ready.insert(name);
  }
  if (g.order_.size() != g.services_.size()) {
    std::string cycle;
    for (auto& [name, n] : waiting)
      if (n > 0) cycle += (cycle.empty() ? "" : ", ") + name;
    return fail("dependency cycle between services: " + cycle);
  }
  return g;
}

Result<std::set<std::string>> DependencyGraph::closure(const std::vector<std::string>& selected) const {
  std::set<std::string> out;
  if (selected.empty()) {
    for (auto& [name, s] : services_) out.insert(name);
    return out;
  }
  std::function<void(const std::string&)> add = [&](const std::string& n) {
    if (!out.insert(n).second) return;
    for (auto& d : services_.at(n).depends_on) add(d.service);
  };
  for (auto& n : selected) {
    if (!services_.count(n)) return fail("no such service: " + n);
    add(n);
  }
  return out;
}

std::vector<std::string> DependencyGraph::dependants(const std::string& name, const std::set<std::string>& among) const {
  std::vector<std::string> out;
  for (auto& n : among) {
    auto it = services_.find(n);
    if (it == services_.end()) continue;
    for (auto& d : it->second.depends_on)
      if (d.service == name) out.push_back(n);
  }
  return out;
}

StartScheduler::StartScheduler(const DependencyGraph& graph, std::set<std::string> services)
    : graph_(graph), services_(std::move(services)) {}

StartScheduler::Outcome StartScheduler::outcome(const DependsOn& d, std::string& why) const {
  const std::string& s = d.service;
  if (!services_.count(s)) return Outcome::kMet;  // not part of this run (already up, or --no-deps)
  auto done = completed_.find(s);
  switch (d.condition) {
    case DependCondition::kStarted:
      if (started_.count(s)) return Outcome::kMet;
      break;
    case DependCondition::kHealthy:
      if (healthy_.count(s)) return Outcome::kMet;
      if (unhealthy_.count(s)) {
        why = "dependency failed to start: container " + s + " is unhealthy";
        return Outcome::kFailed;
      }
      if (done != completed_.end()) {
        why = "dependency failed to start: container " + s + " exited (" + std::to_string(done->second) + ")";
        return Outcome::kFailed;
      }
      break;
    case DependCondition::kCompletedSuccessfully:
      if (done != completed_.end()) {
        if (done->second == 0) return Outcome::kMet;
        why = "service \"" + s + "\" didn't complete successfully: exit " + std::to_string(done->second);
        return Outcome::kFailed;
      }
      break;
  }
  if (auto b = blocked_.find(s); b != blocked_.end()) {
    why = "dependency failed to start: " + s + ": " + b->second;
    return Outcome::kFailed;
  }
  if (auto f = failed_.find(s); f != failed_.end()) {
    why = "dependency failed to start: " + f->second;
    return Outcome::kFailed;
  }
  return Outcome::kWaiting;
}

void StartScheduler::propagate() {
  // Blocking one service may block its dependants: repeat until nothing changes.
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& n : services_) {
      if (handed_.count(n) || blocked_.count(n)) continue;
      for (auto& d : graph_.service(n).depends_on) {
        std::string why;
        if (d.required && outcome(d, why) == Outcome::kFailed) {
          blocked_[n] = why;
          changed = true;
          break;
        }
      }
    }
  }
}

std::vector<std::string> StartScheduler::ready() {
  propagate();
  std::vector<std::string> out;
  for (auto& n : services_) {
    if (handed_.count(n) || blocked_.count(n)) continue;
    bool go = std::all_of(graph_.service(n).depends_on.begin(), graph_.service(n).depends_on.end(), [&](const DependsOn& d) {
      std::string why;
      Outcome o = outcome(d, why);
      return o == Outcome::kMet || (o == Outcome::kFailed && !d.required);
    });
    if (go) out.push_back(n);
  }
  handed_.insert(out.begin(), out.end());
  return out;
}

void StartScheduler::started(const std::string& name) { started_.insert(name); }
void StartScheduler::healthy(const std::string& name) { healthy_.insert(name); }
void StartScheduler::unhealthy(const std::string& name) {
  if (!healthy_.count(name)) unhealthy_.insert(name);
}
void StartScheduler::exited(const std::string& name, int exit_code, bool restarting) {
  if (!restarting) completed_[name] = exit_code;
}
void StartScheduler::failed(const std::string& name, const std::string& reason) { failed_[name] = reason; }

StopScheduler::StopScheduler(const DependencyGraph& graph, std::set<std::string> services)
    : graph_(graph), services_(std::move(services)) {}

std::vector<std::string> StopScheduler::ready() {
  std::vector<std::string> out;
  for (auto& n : services_) {
    if (handed_.count(n)) continue;
    auto deps = graph_.dependants(n, services_);
    if (std::all_of(deps.begin(), deps.end(), [&](const std::string& d) { return stopped_.count(d) > 0; }))
      out.push_back(n);
  }
  handed_.insert(out.begin(), out.end());
  return out;
}

void StopScheduler::stopped(const std::string& name) { stopped_.insert(name); }

StopRun::StopRun(const DependencyGraph& graph, std::set<std::string> services, StopFn stop, DownFn is_down,
                 StopFn stopped)
    : scheduler_(graph, std::move(services)),
      stop_(std::move(stop)),
      is_down_(std::move(is_down)),
      stopped_fn_(std::move(stopped)) {}

void StopRun::pump() {
  if (pumping_) {
    again_ = true;
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    for (const auto& s : scheduler_.ready()) {
      stopping_.push_back(s);
      stop_(s);
    }
    for (const auto& s : stopping_)
      if (!stopped_.count(s) && is_down_(s)) {
        stopped_.insert(s);
        scheduler_.stopped(s);
        if (stopped_fn_) stopped_fn_(s);
        again_ = true;  // what it depends on may stop now
      }
  } while (again_);
  pumping_ = false;
}

}  // namespace stack::supervisor
