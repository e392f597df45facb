#pragma once
// Which cgroup file enforces which limit, and the verdict when the host lacks it
// (design invariant 7: a limit is enforced or refused, never silently dropped).
// Pure data and a pure judge: unit-tested without a kernel.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

struct Requirement {
  std::string limit;               // the stack file's name: "mem_limit", "cpus", ...
  std::string controller;          // "memory", "cpu", "io", "blkio", ...
  std::vector<std::string> files;  // any one of them enforces the limit
  std::string missing_reason;      // why the host cannot, when no file exists
  bool probe_at_base = false;      // the file also exists in the starting group (v1 root
                                   // groups have most files; v2 root groups have none)
  // Weights work only where BFQ (or CFQ) schedules the device: the cgroup files exist
  // whenever BFQ is built, also when every device runs "none" (io_scheduler.hpp).
  bool needs_proportional_io = false;
  std::vector<std::pair<uint32_t, uint32_t>> devices;  // major:minor; none = any device
};

std::vector<Requirement> v1_requirements(const Limits& limits);
std::vector<Requirement> v2_requirements(const Limits& limits);

struct Verdict {
  std::vector<std::string> warnings;
  std::set<std::string> skipped;  // limits not to write (downgraded to warnings)
};

// has_controller(name): the controller can be used; has_file(req): one of req.files
// exists; proportional_io(req): for needs_proportional_io, BFQ/CFQ schedules the
// devices. kStrict: the first missing one is the error "<limit>: cannot be enforced on
// this host: <reason>"; kWarn: one warning each and the limit is skipped.
Result<Verdict> judge(const std::vector<Requirement>& reqs, Enforcement e,
                      const std::function<bool(const std::string&)>& has_controller,
                      const std::function<bool(const Requirement&)>& has_file,
                      const std::function<bool(const Requirement&)>& proportional_io = nullptr);

}  // namespace stack::cgroup
