// StackControl's bookkeeping: events from runner changes, exit waiters, pending ops,
// and state.json (cmd/supervisor_control.hpp).
#include <unistd.h>

#include "cmd/supervisor_control.hpp"
#include "engine/supervisor/log_format.hpp"
#include "engine/supervisor/log_printer.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;

namespace {
constexpr uint64_t kFreezePollMs = 5;
// state.json is written at most this often: a burst of changes (an up of 30 makes ~150)
// is one document per interval, not one per finished write (~8 of ~0.35 ms each on the
// loop, perf). The file is read only once the supervisor is gone (ps, ls, down), so it
// may be this much older than the last change before a SIGKILL.
constexpr uint64_t kStateEveryMs = 25;
}

StackControl::StackControl(StackSupervisor& s) : s_(s), writer_(s.loop_, s.layout_.state_file()) {}

Result<std::unique_ptr<StackControl>> StackControl::create(StackSupervisor& s) {
  std::unique_ptr<StackControl> c(new StackControl(s));
  auto t = net::UvTimer::create(s.loop_);
  if (!t) return unexpected(t.error());
  c->tick_timer_ = std::move(*t);
  c->mark_dirty();  // the first state.json, written once the loop runs
  return c;
}

StackControl::~StackControl() { tick_timer_.reset(); }

void StackControl::publish(const Replica& r, const std::string& action, nlohmann::json attributes) {
  attributes["name"] = r.name;
  if (r.spec) attributes["image"] = r.spec->image;  // an orphan's service is no longer in project_
  events_.publish({sv::now_ns(), action, r.name, r.service, std::move(attributes)});
}

// Docker's sequence: create and start on the first run, start on each restart, die
// on each exit of a run; stop is published when a stop op is done. `oom` comes from the
// runner's OOM watch, once per kill as it happens (before the die of an OOM-killed PID 1).
void StackControl::changed(const Replica& r, const sv::RunInfo& info) {
  sv::RunState prev = last_[r.name];
  last_[r.name] = info.state;
  if (info.state != sv::RunState::kRunning) paused_.erase(r.name);
  int code = info.last_exit ? info.last_exit->code : 0;
  if (info.state == sv::RunState::kRunning && prev != sv::RunState::kRunning) {
    if (prev == sv::RunState::kCreated) publish(r, "create");
    publish(r, "start");
  } else if (prev == sv::RunState::kRunning && info.state != sv::RunState::kRunning) {
    publish(r, "die", {{"exitCode", std::to_string(code)}});
  }
  if (info.state == sv::RunState::kExited || info.state == sv::RunState::kDead) {
    for (auto& w : exit_waiters_)
      if (w.names.erase(r.name)) w.resp.event({{"name", r.name}, {"exit_code", info.last_exit ? code : 255}});
    std::erase_if(exit_waiters_, [](const ExitWaiter& w) {
      if (w.names.empty()) w.resp.reply(nlohmann::json::object());
      return w.names.empty();
    });
  }
  mark_dirty();
}

void StackControl::decorate(const Replica& r, nlohmann::json& e) const {
  if (paused_.count(r.name) && e.value("State", "") == "running") {
    e["State"] = "paused";
    if (e.contains("Status")) e["Status"] = e.value("Status", "") + " (Paused)";  // Docker's "Up 5 seconds (Paused)"
  }
  int64_t finished = r.runner ? r.runner->info().finished_ns : 0;
  e["FinishedAt"] = finished ? sv::format_rfc3339_nano_fixed(finished) : "";
}

void StackControl::mark_dirty() {
  dirty_ = true;
  arm(0);
}

void StackControl::arm(uint64_t ms) {
  if (closed_ || (armed_ && armed_ms_ <= ms)) return;
  armed_ = true;
  armed_ms_ = ms;
  if (!tick_timer_->start(ms, 0, [this] { tick(); })) armed_ = false;
}

bool StackControl::op_done(const Op& op) const {
  if (op.order) return op.order->finished();
  for (const auto& name : op.names) {
    Replica* r = find(name);
    if (!r || !r->runner) continue;
    if (op.method != "pause") {
      auto st = r->runner->info().state;
      if (st == sv::RunState::kRunning || st == sv::RunState::kRestarting) return false;
    } else if (paused_.count(name)) {
      auto frozen = r->cgroup->frozen();
      if (frozen && !*frozen) return false;
    }
  }
  return true;
}

// Outside any runner callback: ops may start containers here.
void StackControl::tick() {
  armed_ = false;
  bool freezing = false;
  std::vector<Op> pending;
  for (auto& op : ops_) {
    if (op.order) op.order->pump();
    bool done = op_done(op);
    bool waiting = !done && (op.method != "pause" || sv::now_ns() < op.deadline_ns);
    if (waiting) {
      freezing = freezing || op.method == "pause";
      pending.push_back(std::move(op));
    } else {
      finish(op, done);
    }
  }
  ops_ = std::move(pending);
  if (dirty_ && !closed_) {
    uint64_t now = uv_now(s_.loop_);  // the loop's monotonic ms
    if (!state_written_ || now >= state_written_ms_ + kStateEveryMs) {
      dirty_ = false;
      state_written_ = true;
      state_written_ms_ = now;
      writer_.update_lazily([this] { return document().dump() + "\n"; });
    } else {
      arm(state_written_ms_ + kStateEveryMs - now);
    }
  }
  if (freezing) arm(kFreezePollMs);
}

void StackControl::finish(Op& op, bool done) {
  std::vector<Replica*> list;
  for (const auto& name : op.names)
    if (Replica* r = find(name)) list.push_back(r);
  if (op.method == "restart") {
    for (auto& e : start(list, true)) op.results.push_back(e);
  } else {
    for (Replica* r : list) {
      nlohmann::json e{{"name", r->name}};
      if (!done) e["error"] = "container " + r->name + " did not freeze within 5 s";
      op.results.push_back(e);
    }
  }
  op.resp.reply({{"containers", op.results}});
}

void StackControl::going_down() {
  for (const auto& name : paused_)
    if (Replica* r = find(name)) (void)r->cgroup->freeze(false);
  paused_.clear();
  std::erase_if(ops_, [&](const Op& op) {
    if (op.method == "stop") return false;  // done once everything stopped
    op.resp.fail(Error{EBUSY, "stack " + s_.project_.name + " is going down"});
    return true;
  });
  mark_dirty();
}

void StackControl::close() {
  if (closed_) return;
  closed_ = true;
  events_.close();
  for (const auto& w : exit_waiters_) w.resp.reply(nlohmann::json::object());
  exit_waiters_.clear();
  for (const auto& op : ops_) op.resp.reply({{"containers", op.results}});
  ops_.clear();
  tick_timer_->stop();
  writer_.close_and_remove();
}

nlohmann::json StackControl::document() {
  return {{"version", sv::kStateVersion},
          {"project", s_.project_.name},
          {"config_files", s_.project_.files},
          {"supervisor_pid", ::getpid()},
          {"updated", sv::format_rfc3339_nano(sv::now_ns())},
          {"containers", s_.ps(true)["containers"]}};
}

}  // namespace stack::cli
