#pragma once
// The cgroup driver seam (style.md rule 10): one interface, two real implementations.
//   Cgroup2Driver: a unified (pure cgroup v2) host.
//   Cgroup1Driver: cgroup v1 controllers, and hybrid hosts (v1 controllers plus a
//                  controller-less cgroup2 used for process tracking and cgroup.kill).
// The driver takes plain values (a relative path, limits, pids) and knows nothing of
// services or stack files. Every group it makes lies BENEATH its base in each hierarchy:
// the cgroup the process started in (v1/hybrid), the top of the cgroup2 mount (unified),
// or a configured parent (parent.hpp). The bases are constructor arguments, so tests can
// use temp dirs.
//
// A relative path names one container's group: "stack/<project>/<service>-<n>", built
// with cgroup_path() (path.hpp) so that names are escaped.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::cgroup {

enum class Mode {
  kUnified,  // cgroup2 only (cgroup_no_v1=all, modern distributions)
  kLegacy,   // cgroup v1 controllers only
  kHybrid,   // v1 controllers plus a controller-less cgroup2 (systemd "hybrid")
};
const char* mode_name(Mode mode);

// One device's throttle or weight, for blkio_config (major:minor as the kernel wants it).
struct DeviceValue {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint64_t value = 0;  // bytes/s, IO/s, or a weight 10..1000
};

struct BlkioLimits {
  std::optional<uint16_t> weight;  // 10..1000 (compose blkio_config.weight)
  std::vector<DeviceValue> weight_device;
  std::vector<DeviceValue> read_bps, write_bps, read_iops, write_iops;
  bool empty() const {
    return !weight && weight_device.empty() && read_bps.empty() && write_bps.empty() &&
           read_iops.empty() && write_iops.empty();
  }
};

// What a container may use. Unset = leave the kernel default. Byte and count values
// take -1 for "unlimited" (Docker's spelling); the mapping helpers (mapping.hpp) turn
// compose fields into these values.
struct Limits {
  std::optional<int64_t> memory;              // hard limit, bytes
  std::optional<int64_t> memory_swap;         // memory + swap, bytes (Docker memswap_limit);
                                              // unset with memory set = 2 x memory if the
                                              // host accounts swap (Docker's default)
  std::optional<int64_t> memory_reservation;  // soft limit / memory.low, bytes
  std::optional<int64_t> cpu_quota_us;        // per period; -1 = no quota
  std::optional<uint64_t> cpu_period_us;      // default 100000 when a quota is set
  std::optional<uint64_t> cpu_shares;         // v1 shares 2..262144 (converted on v2)
  std::optional<uint64_t> cpu_weight;         // v2 weight 1..10000 (v2 only; wins over shares)
  std::optional<std::string> cpuset_cpus;     // "0-1,3"
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> pids;                // pids.max; -1 = unlimited
  BlkioLimits blkio;
};

// A limit the host cannot enforce is an error naming the limit and the reason (design
// invariant 7), unless the caller asked to downgrade it to a warning.
enum class Enforcement { kStrict, kWarn };

struct Stats {
  uint64_t memory_usage = 0;            // bytes
  uint64_t memory_inactive_file = 0;    // of it, inactive page cache (docker stats subtracts it)
  std::optional<uint64_t> memory_limit; // bytes; unset = unlimited
  uint64_t cpu_usage_ns = 0;            // cumulative
  uint64_t pids_current = 0;
  uint64_t io_read_bytes = 0;
  uint64_t io_write_bytes = 0;
};

// An fd that becomes readable when the group's OOM state may have changed (v2: inotify
// on memory.events; v1: an eventfd registered for memory.oom_control). Put fd() on the
// loop (uv_poll, readable); on wake call drain(), then Driver::oom_kill_count() and
// compare with the last count: the wake-up alone is not proof of a kill, and it can come
// just BEFORE the kill is counted (v1 signals the OOM condition, then the killer runs;
// v2 also wakes for memory.max events). So also re-read the count when the container
// exits by SIGKILL: a moved count then means OOMKilled.
class OomWatch {
 public:
  enum class Kind { kInotify, kEventfd };
  OomWatch() = default;
  OomWatch(Kind kind, UniqueFd fd, UniqueFd keep = {})
      : kind_(kind), fd_(std::move(fd)), keep_(std::move(keep)) {}
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  // Consumes pending events without blocking (the fd is O_NONBLOCK); returns how many
  // notifications were pending (0 if none).
  Result<uint64_t> drain();

 private:
  Kind kind_ = Kind::kInotify;
  UniqueFd fd_;
  UniqueFd keep_;  // what must stay open while the watch lives (v1: memory.oom_control)
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual Mode mode() const = 0;

  // Checks limits against what the host can enforce, without touching the kernel.
  // kStrict: the first unenforceable limit is an error "<limit>: <reason>";
  // kWarn: returns one warning per unenforceable limit instead.
  virtual Result<std::vector<std::string>> check(const Limits& limits, Enforcement e) const = 0;

  // mkdir -p of rel under the starting group in every hierarchy we use (v2: enabling
  // the controllers in cgroup.subtree_control on the way down). true = created now.
  virtual Result<bool> create(const std::string& rel) = 0;

  // true if rel is a group in at least one hierarchy.
  virtual bool exists(const std::string& rel) const = 0;

  // Writes the limits into rel's files (create() first). Unenforceable limits are
  // handled as in check(); returns the warnings. Nothing is written on error.
  virtual Result<std::vector<std::string>> apply(const std::string& rel, const Limits& limits,
                                                 Enforcement e) = 0;

  // Placement of a new process before it runs its command, in two parts that a caller
  // uses together:
  // clone_into_fd(): an O_CLOEXEC directory fd for clone3(CLONE_INTO_CGROUP) into the
  //     cgroup2 group (v2: the group; hybrid: the unified tracking group); invalid on
  //     v1, which has none. Where clone3 cannot take it, place_pid() is the fallback.
  // join_files(): the files the new process writes "0" into by itself, single-threaded,
  //     before it runs anything (v1/hybrid: each v1 hierarchy's tasks file; empty on v2).
  virtual Result<UniqueFd> clone_into_fd(const std::string& rel) = 0;
  virtual std::vector<std::string> join_files(const std::string& rel) const { (void)rel; return {}; }
  // Writes pid into rel's cgroup.procs in every hierarchy (hybrid: also the unified
  // tracking group).
  virtual Result<void> place_pid(const std::string& rel, pid_t pid) = 0;

  virtual Result<OomWatch> watch_oom(const std::string& rel) = 0;
  // The kernel's count of OOM kills in rel (v2 memory.events oom_kill, v1
  // memory.oom_control oom_kill).
  virtual Result<uint64_t> oom_kill_count(const std::string& rel) = 0;

  virtual Result<Stats> stats(const std::string& rel) = 0;
  // Pids in rel and its descendants (for `stack top`).
  virtual Result<std::vector<pid_t>> pids(const std::string& rel) = 0;

  // SIGKILLs every process in rel and below and waits (bounded) until none is left.
  // v2: cgroup.kill; v1: freeze, SIGKILL each pid, thaw, repeat. Missing rel = success.
  virtual Result<void> kill_all(const std::string& rel) = 0;

  // The freezer (`pause`): freeze(rel, true) asks the kernel to stop every process in rel
  // and below, freeze(rel, false) thaws rel and every group below it (one frozen by
  // itself stays frozen when only its parent thaws). Freezing completes asynchronously:
  // poll frozen() (v2 cgroup.events "frozen 1", v1 freezer.state FROZEN). A host
  // without a freezer is an error naming the group.
  virtual Result<void> freeze(const std::string& rel, bool frozen) = 0;
  virtual Result<bool> frozen(const std::string& rel) = 0;

  // rmdir of rel and everything below it, leaf first, in every hierarchy; retries EBUSY
  // a bounded number of times. true = removed now, false = it was already gone.
  virtual Result<bool> remove(const std::string& rel) = 0;

  // rmdir of rel and then of each parent up to the base, stopping at the first
  // that still has children (other containers of the project): no retry, no kill. For the
  // empty `stack/<project>` and `stack` groups left once a project's last container went.
  virtual Result<void> prune_empty(const std::string& rel) = 0;
};

// Detects the host's mode once from /proc/self/mountinfo and /proc/self/cgroup and
// returns the matching driver, with the default bases (parent.hpp has the one for a
// configured parent).
Result<std::unique_ptr<Driver>> make_host_driver();

}  // namespace stack::cgroup
