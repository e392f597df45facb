#include "engine/supervisor/restart_policy.hpp"

#include <algorithm>
#include <charconv>

namespace stack::supervisor {

Result<RestartSpec> restart_spec(const std::string& restart, const std::optional<DeployRestartPolicy>& deploy) {
  RestartSpec s;
  if (deploy) {
    const auto& c = deploy->condition;
    if (c == "none") s.mode = RestartMode::kNo;
    else if (c == "on-failure") s.mode = RestartMode::kOnFailure;
    else if (c == "any" || c.empty()) s.mode = RestartMode::kAlways;
    else return fail("invalid deploy.restart_policy.condition '" + c + "': want none, on-failure or any");
    s.max_restarts = deploy->max_attempts.value_or(0);
    s.delay_ns = deploy->delay_ns;
    if (deploy->window_ns && *deploy->window_ns > 0) s.window_ns = deploy->window_ns;
    if (s.delay_ns && *s.delay_ns < 0) return fail("invalid deploy.restart_policy.delay: negative");
    return s;
  }
  std::string word = restart.substr(0, restart.find(':'));
  bool has_count = word.size() != restart.size();
  if (word.empty() || word == "no") s.mode = RestartMode::kNo;
  else if (word == "always") s.mode = RestartMode::kAlways;
  else if (word == "unless-stopped") s.mode = RestartMode::kUnlessStopped;
  else if (word == "on-failure") s.mode = RestartMode::kOnFailure;
  else return fail("invalid restart policy '" + restart + "': want no, always, on-failure[:N] or unless-stopped");
  if (has_count) {
    std::string n = restart.substr(word.size() + 1);
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), s.max_restarts);
    if (s.mode != RestartMode::kOnFailure || n.empty() || ec != std::errc() || end != n.data() + n.size())
      return fail("invalid restart policy '" + restart + "': only on-failure takes a count, as on-failure:N");
  }
  return s;
}

bool restart_on_boot(RestartMode mode, bool stopped_by_user) {
  if (mode == RestartMode::kAlways) return true;
  if (mode == RestartMode::kUnlessStopped) return !stopped_by_user;
  return false;
}

RestartDecision RestartTracker::on_exit(int exit_code, bool stopped_by_user, int64_t ran_ns, int64_t now_ns) {
  RestartDecision d;
  if (stopped_by_user) {
    d.reason = "stopped by the user";
    return d;
  }
  switch (spec_.mode) {
    case RestartMode::kNo:
      d.reason = "restart policy is no";
      return d;
    case RestartMode::kOnFailure:
      if (exit_code == 0) {
        d.reason = "exited successfully";
        return d;
      }
      break;
    case RestartMode::kAlways:
    case RestartMode::kUnlessStopped:
      break;
  }
  if (spec_.window_ns)
    while (!recent_.empty() && recent_.front() < now_ns - *spec_.window_ns) recent_.pop_front();
  uint64_t counted = spec_.window_ns ? recent_.size() : restart_count_;
  if (spec_.max_restarts > 0 && counted >= spec_.max_restarts) {
    d.reason = "maximum restart count reached (" + std::to_string(spec_.max_restarts) + ")";
    return d;
  }
  // Docker's backoff: reset after a run of 10 s, else start at 100 ms and double.
  if (ran_ns >= kBackoffResetAfterNs) backoff_ns_ = 0;
  backoff_ns_ = backoff_ns_ == 0 ? kBackoffStartNs : std::min(backoff_ns_ * 2, kBackoffCapNs);
  d.restart = true;
  d.delay_ns = spec_.delay_ns ? *spec_.delay_ns : backoff_ns_;
  ++restart_count_;
  recent_.push_back(now_ns);
  return d;
}

}  // namespace stack::supervisor
