#pragma once
// Restart policies, pure (no loop, no clock): the supervisor asks RestartTracker
// what to do when a container exits and arms a timer for the answer's delay.
//
// Semantics follow Docker's restart manager (moby restartmanager) for `restart:` and
// compose's mapping of deploy.restart_policy onto it, plus swarm's delay and window:
// - no / "": never; always: after every exit; unless-stopped: like always, but
//   it also stays down across a supervisor restart once a user stopped it;
//   on-failure[:N]: after a non-zero exit, at most N restarts (N = 0: no limit).
// - A stop asked for by a user never leads to a restart (Docker cancels its restart
//   manager on `docker stop`).
// - Delay: 100 ms, doubling per restart up to 60 s; back to 100 ms once the container
//   had run 10 s. deploy.restart_policy.delay replaces this with a fixed delay.
// - deploy.restart_policy wins over `restart:` (compose's getRestartPolicy).
//   condition none|on-failure|any (compose spec default: any); max_attempts limits
//   restarts for any condition; with a window only restarts within the last window
//   count (swarm's restart supervisor).
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "engine/base/result.hpp"

namespace stack::supervisor {

enum class RestartMode { kNo, kAlways, kOnFailure, kUnlessStopped };

// deploy.restart_policy as the stack file gives it (the model's fields).
struct DeployRestartPolicy {
  std::string condition;  // "none", "on-failure", "any"; "" = not written
  std::optional<int64_t> delay_ns;
  std::optional<uint64_t> max_attempts;
  std::optional<int64_t> window_ns;
};

struct RestartSpec {
  RestartMode mode = RestartMode::kNo;
  uint64_t max_restarts = 0;         // 0: no limit
  std::optional<int64_t> delay_ns;   // fixed delay; none: exponential backoff
  std::optional<int64_t> window_ns;  // count only restarts within this window
};

inline constexpr int64_t kBackoffStartNs = 100'000'000;       // 100 ms
inline constexpr int64_t kBackoffCapNs = 60'000'000'000;      // 1 min
inline constexpr int64_t kBackoffResetAfterNs = 10'000'000'000;  // ran 10 s

// `restart:` ("no", "always", "on-failure", "on-failure:3", "unless-stopped") and an
// optional deploy.restart_policy; refuses unknown words by name.
Result<RestartSpec> restart_spec(const std::string& restart, const std::optional<DeployRestartPolicy>& deploy);

// Whether a container with this policy comes back when its supervisor starts again
// (after a crash or a host reboot).
bool restart_on_boot(RestartMode mode, bool stopped_by_user);

struct RestartDecision {
  bool restart = false;
  int64_t delay_ns = 0;
  std::string reason;  // why not, when restart is false
};

class RestartTracker {
 public:
  explicit RestartTracker(RestartSpec spec) : spec_(spec) {}
  // The container exited with exit_code (128+signal when killed) after running ran_ns.
  RestartDecision on_exit(int exit_code, bool stopped_by_user, int64_t ran_ns, int64_t now_ns);
  // Docker's RestartCount: restarts so far.
  uint64_t restart_count() const { return restart_count_; }
  const RestartSpec& spec() const { return spec_; }

 private:
  RestartSpec spec_;
  uint64_t restart_count_ = 0;
  int64_t backoff_ns_ = 0;
  std::deque<int64_t> recent_;  // times of restarts, for the window
};

}  // namespace stack::supervisor
