#pragma once
// The supervisor's stack: every container of the project on one uv loop. Services
// start in dependency order (StartScheduler, ready ones in parallel), each replica in
// a ContainerRunner with its own cgroup; the control socket answers `ps`, `wait`
// (until every service was started or blocked) and `down` (StopScheduler order,
// stop_signal then SIGKILL after the grace period, then the journal is replayed).
// Every cgroup and container dir is in the stack's journal before it is made.
#include <deque>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cmd/run_cgroup.hpp"
#include "cmd/supervisor_apply.hpp"
#include "cmd/supervisor_exec.hpp"
#include "cmd/supervisor_run.hpp"
#include "cmd/supervisor_signal.hpp"
#include "cmd/up_netmode.hpp"
#include "cmd/up_networks.hpp"
#include "cmd/up_ports.hpp"
#include "engine/image/store.hpp"
#include "engine/model/project.hpp"
#include "engine/state/journal.hpp"
#include "engine/state/layout.hpp"
#include "engine/supervisor/container_runner.hpp"
#include "engine/supervisor/control_server.hpp"
#include "engine/supervisor/dependency.hpp"
#include "engine/supervisor/health_runner.hpp"
#include "network/dns_server.hpp"

namespace stack::cli {

int signal_number(const std::string& name);  // "SIGTERM", "TERM", "15"; 0 if unknown
Result<supervisor::DependencyGraph> make_graph(const model::Project& p);

class StackControl;

class StackSupervisor {
 public:
  static Result<std::unique_ptr<StackSupervisor>> create(uv_loop_t* loop, model::Project project,
                                                         state::Layout layout, std::string state_root);
  ~StackSupervisor();
  void start();
  // up --ignore-unenforced-limits: unenforceable limits of every service are warnings.
  void ignore_unenforced_limits(bool on) { ignore_unenforced_ = on; }
  // --cgroup-parent: the parent of the groups of services without a cgroup_parent.
  void cgroup_parent(std::string spec) { cgroup_parent_ = std::move(spec); }
  // down finished (or failed) and the loop may end.
  bool finished() const;
  Result<void> outcome() const { return outcome_; }
  // SIGTERM: the stack stops as for `down`, with nobody to answer.
  void terminate();
  // The journal of a supervisor killed with SIGKILL was replayed before this one
  // started; the first `up` is told so.
  void note_recovery(std::string note) { recovery_note_ = std::move(note); }
  // The word the starting up passed (--load-token): its apply reuses the loaded project.
  void load_token(std::string token) { load_token_ = std::move(token); }

 private:
  friend class StackControl;  // cmd/supervisor_control*.cpp: start/stop/kill/pause/wait/events, state.json
  struct Replica {
    std::string service, name;
    uint64_t index = 0;
    std::string hash;                        // config hash it was made with (apply_plan.hpp)
    const model::Service* spec = nullptr;    // of the project it was made from
    bool retiring = false;                   // an apply stops it, to remove or recreate it
    bool orphan = false;                     // its service left the stack file
    std::optional<RunCgroup> cgroup;
    std::unique_ptr<supervisor::ContainerRunner> runner;
    std::unique_ptr<supervisor::HealthRunner> health;  // probes runner's container: goes first
    bool started = false;  // has run at least once
    int64_t created_ns = 0;   // when make_replica made it (compose's CreatedAt)
    std::string command;      // the last run's argv, joined (compose's Command)
    int64_t finished_ns = 0;  // the last run's end
    std::string error;
    std::vector<std::string> warnings;  // limits not enforced, as asked
  };
  StackSupervisor(uv_loop_t* loop, model::Project p, state::Layout l, std::string root, state::Journal j,
                  supervisor::DependencyGraph g)
      : loop_(loop), project_(std::move(p)), layout_(std::move(l)), root_(std::move(root)), journal_(std::move(j)),
        graph_(std::move(g)) {}

  Result<void> make_network();
  pid_t running_pid(const std::string& service) const;  // its first container's; 0: none
  NetworkContext network_context();  // the stack's networks, for a container's spec and attach
  void handle(supervisor::Request&& r, supervisor::Responder resp);
  // supervisor_stats.cpp: "stats" (raw samples for `stack stats`) and "top" (pids).
  bool handle_stats(const supervisor::Request& r, const supervisor::Responder& resp);
  Result<nlohmann::json> stats(const nlohmann::json& params);
  Result<nlohmann::json> top(const nlohmann::json& params);
  void exec(supervisor::Request&& r, supervisor::Responder resp);  // cmd/supervisor_exec.cpp
  void run_join(supervisor::Request&& r, supervisor::Responder resp);  // cmd/supervisor_run.cpp
  void pump();
  // Makes the service's replicas (cgroup, log, runner); their runners go to runners.
  void launch(const std::string& service, std::vector<supervisor::ContainerRunner*>& runners);
  Result<void> make_replica(Replica& r, const model::Service& s, uint64_t n);
  void on_change(Replica& r, const supervisor::RunInfo& info);
  Result<void> make_health(Replica& r, const model::Service& s);
  void on_health(Replica& r, supervisor::Health status);
  void answer_waiters();
  // Every service handed out, and no replica still setting up (start(false)).
  bool start_done() const;
  nlohmann::json wait_result() const;
  nlohmann::json ps(bool all);
  void down(std::optional<int64_t> timeout_s, std::optional<supervisor::Responder> resp);
  static bool up(const Replica& r);  // running or waiting to restart
  // stop_signal (a "kill" event), then SIGKILL after timeout_s or the service's
  // stop_grace_period; nothing (false) for a replica that is not up.
  bool stop_replica(Replica& r, std::optional<int64_t> timeout_s);
  // Every replica of the service among names (all when empty) is down.
  bool service_down(const std::string& service, const std::set<std::string>& names = {}) const;
  void stop_pump();
  void finish_down();
  // supervisor_apply.cpp: the "apply" method (a second `up`).
  void apply(nlohmann::json params, supervisor::Responder resp);
  void schedule_apply();
  void apply_next();
  void begin_apply(std::unique_ptr<ApplyRun> run);
  void apply_stop_pump();
  void apply_commit();
  Result<void> prepare_ports(ApplyRun& run) const;  // the ports of the project after run, bound
  void reshape_kept(const ApplyRun& run);             // x-bandwidth of kept containers, in place
  std::vector<uint64_t> running_indices(const std::string& service) const;
  void leave_network(const std::string& container);
  void join_network(const std::string& service, const std::string& container);
  std::vector<uint64_t> indices_to_start(const std::string& service) const;

  uv_loop_t* loop_;
  model::Project project_;
  state::Layout layout_;
  std::string root_;
  state::Journal journal_;
  supervisor::DependencyGraph graph_;
  std::map<std::string, image::Image> images_;
  std::unique_ptr<StackNetworks> networks_;  // bridges, leases, name servers, NAT (up_networks.hpp)
  std::shared_ptr<const StackNetworks::Reaping> net_reaping_;  // its veth deletes, which outlive it
  std::unique_ptr<StackPorts> ports_;        // bound before any container starts
  std::optional<supervisor::StartScheduler> start_;
  std::optional<supervisor::StopRun> stop_;  // down's
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::set<std::string> launched_, reported_;
  std::set<std::string> down_stopping_;  // containers down stopped: a "stop" event each
  std::vector<supervisor::Responder> waiters_, downs_;
  std::optional<int64_t> stop_timeout_s_;
  std::unique_ptr<ExecSessions> execs_;  // processes started by `exec`
  std::unique_ptr<RunMembers> runs_;     // containers of `stack run` on the networks (before networks_ goes)
  UvOwned<supervisor::ControlServer> server_;
  UvOwned<net::UvTimer> exit_timer_, teardown_timer_;
  UvOwned<SignalWatch> sigterm_;
  std::unique_ptr<ApplyRun> apply_;  // the apply being carried out
  std::deque<std::pair<nlohmann::json, supervisor::Responder>> applies_;  // waiting their turn
  std::string load_token_;  // from the up that started it, until the first apply (up_spawn.hpp)
  std::list<model::Project> retired_;  // earlier projects: kept replicas point into them
  std::map<std::string, std::string> hashes_;  // service -> config hash of project_
  std::map<std::string, std::vector<uint64_t>> to_start_;  // replicas the next launch makes
  std::string recovery_note_;
  UvOwned<net::UvTimer> apply_timer_;
  bool tearing_down_ = false;
  bool ignore_unenforced_ = false;
  std::string cgroup_parent_;
  std::set<std::string> prepared_parents_;  // specs whose groups and project group are journaled
  bool pumping_ = false, again_ = false, down_started_ = false, finished_ = false;
  Result<void> outcome_;
  std::shared_ptr<StackControl> control_;  // shared_ptr: StackControl is incomplete here
};

}  // namespace stack::cli
