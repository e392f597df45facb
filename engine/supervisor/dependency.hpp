#pragma once
// Start and stop order from depends_on, pure. The graph is checked once (unknown
// services, cycles, service_healthy on a service without a healthcheck); the
// schedulers then answer "what may start (stop) now?" as events come in, so that
// independent services start in parallel and each waits only for its own
// dependencies' conditions (compose: service_started, service_healthy,
// service_completed_successfully; required: false tolerates a failed or absent one).
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::supervisor {

enum class DependCondition { kStarted, kHealthy, kCompletedSuccessfully };
Result<DependCondition> parse_depend_condition(const std::string& s);

struct DependsOn {
  std::string service;
  DependCondition condition = DependCondition::kStarted;
  bool required = true;
};

struct ServiceDeps {
  std::string name;
  bool has_healthcheck = false;
  std::vector<DependsOn> depends_on;
};

class DependencyGraph {
 public:
  // A required dependency on an unknown service, a cycle, or service_healthy on a
  // service without a healthcheck is an error naming the services. An optional
  // dependency on an unknown service (say, one outside the active profiles) is dropped.
  static Result<DependencyGraph> build(std::vector<ServiceDeps> services);

  // The named services and everything they depend on (`up web` starts web's
  // dependencies too); empty: all services.
  Result<std::set<std::string>> closure(const std::vector<std::string>& selected) const;
  // Dependencies first; ties broken by name, so the order is stable.
  std::vector<std::string> start_order() const { return order_; }
  std::vector<std::string> stop_order() const { return {order_.rbegin(), order_.rend()}; }
  const ServiceDeps& service(const std::string& name) const { return services_.at(name); }
  // The services in `among` that depend on name (names outside the graph, such as an
  // orphan's, depend on nothing).
  std::vector<std::string> dependants(const std::string& name, const std::set<std::string>& among) const;

 private:
  std::map<std::string, ServiceDeps> services_;
  std::vector<std::string> order_;
};

// Hands out services to start as their dependencies' conditions are met.
class StartScheduler {
 public:
  StartScheduler(const DependencyGraph& graph, std::set<std::string> services);

  // Services that may start now; each is handed out once.
  std::vector<std::string> ready();
  // Events about a service that was handed out.
  void started(const std::string& name);
  void healthy(const std::string& name);
  void unhealthy(const std::string& name);
  // restarting: the restart policy brings it back, so waiting goes on.
  void exited(const std::string& name, int exit_code, bool restarting);
  void failed(const std::string& name, const std::string& reason);

  // Services that will not start, with compose's reason ("dependency failed to
  // start: container db is unhealthy").
  const std::map<std::string, std::string>& blocked() const { return blocked_; }
  // Every service was handed out or blocked.
  bool finished() const { return handed_.size() + blocked_.size() == services_.size(); }

 private:
  enum class Outcome { kWaiting, kMet, kFailed };
  Outcome outcome(const DependsOn& d, std::string& why) const;
  void propagate();

  const DependencyGraph& graph_;
  std::set<std::string> services_;
  std::set<std::string> handed_;
  std::set<std::string> started_, healthy_, unhealthy_;
  std::map<std::string, int> completed_;          // exit codes of exits that will not restart
  std::map<std::string, std::string> failed_;     // why a handed-out service failed
  std::map<std::string, std::string> blocked_;
};

// Hands out services to stop once everything that depends on them has stopped.
class StopScheduler {
 public:
  StopScheduler(const DependencyGraph& graph, std::set<std::string> services);
  std::vector<std::string> ready();
  void stopped(const std::string& name);
  bool finished() const { return stopped_.size() == services_.size(); }

 private:
  const DependencyGraph& graph_;
  std::set<std::string> services_, handed_, stopped_;
};

// Carries out a StopScheduler: `stop` is called for each service once everything
// that depends on it is down (dependants first, independent services together);
// `is_down` says whether all of a service's containers have stopped. pump() after
// each change (an exit); it may be re-entered from `stop` and then runs again.
class StopRun {
 public:
  using StopFn = std::function<void(const std::string& service)>;
  using DownFn = std::function<bool(const std::string& service)>;
  // stopped (optional): a service got down, in the order they did.
  StopRun(const DependencyGraph& graph, std::set<std::string> services, StopFn stop, DownFn is_down,
          StopFn stopped = {});
  void pump();
  bool finished() const { return scheduler_.finished(); }
  // Services handed to `stop` so far, in that order.
  const std::vector<std::string>& stopping() const { return stopping_; }

 private:
  StopScheduler scheduler_;
  StopFn stop_;
  DownFn is_down_;
  StopFn stopped_fn_;
  std::vector<std::string> stopping_;
  std::set<std::string> stopped_;
  bool pumping_ = false, again_ = false;
};

}  // namespace stack::supervisor
