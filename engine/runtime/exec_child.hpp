#pragma once
// The exec helper (exec.hpp): runs in a clone of the caller with system calls only (the
// caller may have threads: nothing here allocates). It joins the container's cgroup and
// namespaces, opens a pty if asked, clones the process (CLONE_PARENT: the caller's child,
// in the container's pid namespace), reports its pid as kPid and exits 0. The process
// hardens itself like the container's PID 1 and execs. Failures go on sync_fd as kError.
#include "engine/runtime/exec_plan.hpp"

namespace stack::engine::runtime {

// plan is the helper's own copy (clone without CLONE_VM), so it may be written to.
[[noreturn]] void run_exec_helper(ExecPlan& plan, int sync_fd);

}  // namespace stack::engine::runtime
