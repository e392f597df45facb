#include "engine/supervisor/health_runner.hpp"

#include <sys/wait.h>

#include "engine/base/pidfd_wait.hpp"
#include "engine/supervisor/log_format.hpp"
#include "engine/supervisor/process_tree.hpp"

namespace stack::supervisor {

std::optional<std::vector<std::string>> probe_argv(const std::vector<std::string>& test) {
  if (test.size() < 2) return std::nullopt;  // [] / ["NONE"]; the model refuses other short forms
  if (test[0] == "CMD") return std::vector<std::string>(test.begin() + 1, test.end());
  if (test[0] == "CMD-SHELL") return std::vector<std::string>{"/bin/sh", "-c", test[1]};
  return std::nullopt;
}

std::string go_duration(int64_t ns) {
  if (ns <= 0) return "0s";
  if (ns < 1'000'000'000) {
    if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
    return std::to_string(ns / 1000) + "\u00b5s";
  }
  int64_t ms = ns / 1'000'000, h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac) {
    std::string f = std::to_string(frac + 1000).substr(1);
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out + "s";
}

Result<std::unique_ptr<HealthRunner>> HealthRunner::create(uv_loop_t* loop, HealthSpec spec, ProbeLauncher launch,
                                                           OnChange on_change) {
  std::unique_ptr<HealthRunner> r(new HealthRunner(loop, spec, std::move(launch), std::move(on_change)));
  auto t1 = net::UvTimer::create(loop);
  if (!t1) return unexpected(t1.error());
  auto t2 = net::UvTimer::create(loop);
  if (!t2) return unexpected(t2.error());
  r->next_timer_ = std::move(*t1);
  r->timeout_timer_ = std::move(*t2);
  return r;
}

HealthRunner::~HealthRunner() {
  next_timer_.reset();
  timeout_timer_.reset();
  reap_now();
}

void HealthRunner::start(int64_t started_ns) {
  reap_now();  // one left from the last run died with its container; the log stays (Docker's)
  tracker_.emplace(spec_, started_ns);
  schedule();
}

void HealthRunner::stop() {
  tracker_.reset();
  next_timer_->stop();
  timeout_timer_->stop();
  if (!probe_) return;
  probe_->dropped = true;
  kill_probe();  // its watch reaps it
}

void HealthRunner::schedule() {
  if (!tracker_ || probe_) return;
  uv_update_time(loop_);  // the delay counts from now, not from the loop's cached time
  int64_t delay_ms = tracker_->next_probe_in(now_ns()) / 1'000'000;
  auto r = next_timer_->start(static_cast<uint64_t>(delay_ms), 0, [this] { run_probe(); });
  if (!r) record({now_ns(), now_ns(), -1, r.error().message}, false);
}

void HealthRunner::run_probe() {
  int64_t start = now_ns();
  auto p = launch_();
  if (!p) return record({start, now_ns(), -1, p.error().message}, false);
  Running run{std::move(*p), {}, {}, start};
  auto watch = PidfdWatch::create(loop_, run.probe.pidfd.get(), [this] { on_exit(); });
  auto out = ProbeOutput::create(loop_, std::move(run.probe.output));
  probe_.emplace(std::move(run));
  if (!watch || !out) {
    std::string why = (!watch ? watch.error() : out.error()).message;
    reap_now();
    return record({start, now_ns(), -1, why}, false);
  }
  probe_->watch = std::move(*watch);
  probe_->out = std::move(*out);
  uv_update_time(loop_);
  auto t = timeout_timer_->start(static_cast<uint64_t>(spec_.timeout_ns / 1'000'000), 0, [this] { on_timeout(); });
  if (!t) on_timeout();  // no timer: a probe must not run unbounded
}

void HealthRunner::on_timeout() {
  if (!probe_ || probe_->timed_out) return;
  probe_->timed_out = true;
  kill_probe();
}

void HealthRunner::on_exit() {
  auto exit = reap_pidfd(probe_->probe.pidfd.get());
  if (exit && !exit->has_value()) return;  // cannot be: the pidfd was readable
  timeout_timer_->stop();
  Running done = std::move(*probe_);
  probe_.reset();
  if (done.dropped) return;
  ProbeResult r{done.start_ns, now_ns(), -1, {}};
  if (done.timed_out) {
    r.output = "Health check exceeded timeout (" + go_duration(spec_.timeout_ns) + ")";
  } else if (!exit) {
    r.output = exit.error().message;
  } else {
    done.out->drain();
    r.exit_code = (*exit)->code;
    r.output = done.out->text();
  }
  record(std::move(r), done.timed_out);
}

void HealthRunner::record(ProbeResult r, bool timed_out) {
  if (!tracker_) return;
  log_.push_back(r);
  while (log_.size() > kHealthLogMax) log_.pop_front();
  bool changed = tracker_->on_result(r.exit_code, timed_out, r.start_ns);
  schedule();
  if (changed && on_change_) on_change_(tracker_->status());
}

void HealthRunner::kill_probe() {
  if (probe_) kill_tree(probe_->probe.pid, probe_->probe.pidfd.get());
}

// Blocking, for the destructor and a restart: the probe was SIGKILLed, so the wait
// is for its exit, which does not depend on anything it does.
void HealthRunner::reap_now() {
  if (!probe_) return;
  kill_probe();
  probe_->watch.reset();
  probe_->out.reset();
  siginfo_t info{};
  (void)wait_pidfd(probe_->probe.pidfd.get(), &info);
  probe_.reset();
}

}  // namespace stack::supervisor
