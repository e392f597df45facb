#include "engine/supervisor/health.hpp"

namespace stack::supervisor {

std::string_view to_string(Health h) {
  switch (h) {
    case Health::kStarting: return "starting";
    case Health::kHealthy: return "healthy";
    case Health::kUnhealthy: return "unhealthy";
  }
  return "unknown";
}

HealthSpec health_spec(std::optional<int64_t> interval_ns, std::optional<int64_t> timeout_ns,
                       std::optional<int64_t> start_period_ns, std::optional<int64_t> start_interval_ns,
                       std::optional<uint64_t> retries) {
  HealthSpec s;
  auto positive = [](std::optional<int64_t> v, int64_t& out) {
    if (v && *v > 0) out = *v;
  };
  positive(interval_ns, s.interval_ns);
  positive(timeout_ns, s.timeout_ns);
  positive(start_period_ns, s.start_period_ns);
  positive(start_interval_ns, s.start_interval_ns);
  if (retries && *retries > 0) s.retries = *retries;
  return s;
}

int64_t HealthTracker::next_probe_in(int64_t now_ns) const {
  if (status_ == Health::kStarting && in_start_period(now_ns)) return spec_.start_interval_ns;
  return spec_.interval_ns;
}

bool HealthTracker::on_result(int exit_code, bool timed_out, int64_t probe_started_ns) {
  Health before = status_;
  if (!timed_out && exit_code == 0) {
    failing_streak_ = 0;
    status_ = Health::kHealthy;
  } else if (!(status_ == Health::kStarting && in_start_period(probe_started_ns))) {
    ++failing_streak_;
    if (failing_streak_ >= spec_.retries) status_ = Health::kUnhealthy;
  }
  return status_ != before;
}

}  // namespace stack::supervisor
