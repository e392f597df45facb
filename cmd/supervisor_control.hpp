#pragma once
// The supervisor's lifecycle commands and the state it publishes, beside
// StackSupervisor (which answers up/ps/down): the control methods
//   start, stop, restart, kill, pause, unpause   {"services":[...]} (+ timeout, signal)
//   wait_exit  {"services":[...]}  one event {"name","exit_code"} per container exit
//   events     {"services":[...]}  a stream of event_bus.hpp's events until down
//   state      the state.json document
// and <run-root>/stacks/<project>/state.json, rewritten at most once per loop iteration
// (a 0 ms timer coalesces the changes of one iteration) on the thread pool.
//
// Work that waits (a stop's grace period, a freeze taking effect) is an Op answered
// from the tick after the containers got there; nothing here blocks the loop.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cmd/supervisor_stack.hpp"
#include "engine/supervisor/event_bus.hpp"
#include "engine/supervisor/state_file.hpp"

namespace stack::cli {

class StackControl {
 public:
  using Replica = StackSupervisor::Replica;
  static Result<std::unique_ptr<StackControl>> create(StackSupervisor& s);
  ~StackControl();

  // Answers r if it is one of the methods above; false otherwise.
  bool handle(supervisor::Request& r, supervisor::Responder& resp);
  // A runner changed state: events, exit waiters, pending ops, state.json.
  void changed(const Replica& r, const supervisor::RunInfo& info);
  // What the runner does not know: paused, FinishedAt.
  void decorate(const Replica& r, nlohmann::json& entry) const;
  void publish(const Replica& r, const std::string& action, nlohmann::json attributes = nlohmann::json::object());
  // state.json is rewritten on the next tick.
  void mark_dirty();
  // down began: paused containers are thawed (a frozen process gets no signal on
  // cgroup v1), pending operations fail.
  void going_down();
  // The stack is gone: event streams and exit waiters end, state.json is removed.
  void close();
  bool idle() const { return writer_.idle(); }

 private:
  struct Op {
    std::string method;  // stop, restart, pause
    supervisor::Responder resp;
    std::vector<std::string> names;
    int64_t deadline_ns = 0;  // pause: give up waiting for the freeze
    std::unique_ptr<supervisor::StopRun> order;  // stop, restart: dependants first
    nlohmann::json results = nlohmann::json::array();  // [{"name", "error"?}]
  };
  struct ExitWaiter {
    supervisor::Responder resp;
    std::set<std::string> names;
  };
  explicit StackControl(StackSupervisor& s);

  Result<std::vector<Replica*>> targets(const nlohmann::json& params) const;
  Replica* find(const std::string& name) const;
  nlohmann::json start(std::vector<Replica*> list, bool restarted);
  void stop(Op op, const std::vector<Replica*>& list, std::optional<int64_t> timeout_s);
  nlohmann::json kill(const std::vector<Replica*>& list, int signal);
  void pause(Op op, const std::vector<Replica*>& list);
  nlohmann::json unpause(const std::vector<Replica*>& list);
  void wait_exit(supervisor::Responder resp, const std::vector<Replica*>& list);
  bool op_done(const Op& op) const;
  void tick();
  void finish(Op& op, bool done);
  nlohmann::json document();

  StackSupervisor& s_;
  supervisor::EventBus events_;
  supervisor::StateWriter writer_;
  void arm(uint64_t ms);

  UvOwned<net::UvTimer> tick_timer_;
  bool armed_ = false, dirty_ = false, closed_ = false;
  uint64_t armed_ms_ = 0;
  bool state_written_ = false;
  uint64_t state_written_ms_ = 0;  // uv_now when the last state.json document was asked for
  std::set<std::string> paused_;
  std::map<std::string, supervisor::RunState> last_;  // per container, for events
  std::vector<Op> ops_;
  std::vector<ExitWaiter> exit_waiters_;
};

}  // namespace stack::cli
