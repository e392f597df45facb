#pragma once
// The healthcheck state machine, pure (Docker's daemon/health.go semantics). The
// supervisor runs a probe when next_probe_in() says, kills it after timeout(), and
// reports the result here.
//
// - Status starts as "starting". Exit 0 makes it healthy and resets the failing
//   streak; any other result (exit 1, other codes, a timeout) is a failure.
// - A failure while still starting and within start_period does not count; after
//   that, `retries` consecutive failures make it unhealthy.
// - Probes run every `interval`; while starting and within start_period they run
//   every `start_interval` instead. The first probe comes one interval after start.
// - Defaults (Docker's): interval 30 s, timeout 30 s, start_period 0,
//   start_interval 5 s, retries 3. A zero or absent value takes the default.
#include <cstdint>
#include <optional>
#include <string_view>

namespace stack::supervisor {

enum class Health { kStarting, kHealthy, kUnhealthy };
std::string_view to_string(Health h);

struct HealthSpec {
  int64_t interval_ns = 30'000'000'000;
  int64_t timeout_ns = 30'000'000'000;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 5'000'000'000;
  uint64_t retries = 3;
};

// From the stack file's optional fields (the model's Healthcheck), with defaults.
HealthSpec health_spec(std::optional<int64_t> interval_ns, std::optional<int64_t> timeout_ns,
                       std::optional<int64_t> start_period_ns, std::optional<int64_t> start_interval_ns,
                       std::optional<uint64_t> retries);

class HealthTracker {
 public:
  HealthTracker(HealthSpec spec, int64_t started_ns) : spec_(spec), started_ns_(started_ns) {}

  // Delay from now until the next probe should start.
  int64_t next_probe_in(int64_t now_ns) const;
  int64_t timeout() const { return spec_.timeout_ns; }
  // Records one probe; returns true if the status changed.
  bool on_result(int exit_code, bool timed_out, int64_t probe_started_ns);

  Health status() const { return status_; }
  uint64_t failing_streak() const { return failing_streak_; }

 private:
  bool in_start_period(int64_t t) const { return t - started_ns_ < spec_.start_period_ns; }
  HealthSpec spec_;
  int64_t started_ns_;
  Health status_ = Health::kStarting;
  uint64_t failing_streak_ = 0;
};

}  // namespace stack::supervisor
