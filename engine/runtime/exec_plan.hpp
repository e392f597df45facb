#pragma once
// The data of one exec (style rule 5): the ChildPlan subset the exec'd process runs
// (rlimits, user, caps, seccomp, cwd, argv/envp, stdio) plus what the helper joins.
// Pure parts (env merge, the plan from a Spec) are unit-tested without a kernel.
#include <string>
#include <utility>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

struct ExecOptions;

struct ExecPlan {
  ChildPlan process;                          // what the exec'd process does (child_steps.hpp)
  int target_pidfd = -1;                      // setns(pidfd, ns_flags), Linux >= 5.8
  int ns_flags = 0;                           // CLONE_NEW* of the container's namespaces
  std::vector<std::pair<int, int>> ns_fds;    // /proc/<pid>/ns/* fallback, (fd, CLONE_NEW*)
  std::vector<int> cgroup_join;               // tasks/cgroup.procs fds to write "0" into
};

// env with each "K=V" of overrides replacing K or appended, in order; an override
// without '=' is ignored.
std::vector<std::string> merge_env(std::vector<std::string> env, const std::vector<std::string>& overrides);

// The process part of the plan. spec: the container's (user already resolved);
// user: the resolved exec user, with home ("" keeps the container's user and HOME).
struct ExecUser {
  User user;
  std::string home;
};
Result<ChildPlan> build_exec_process(const Spec& spec, const ExecOptions& options, const ExecUser* user);

}  // namespace stack::engine::runtime
