#pragma once
// The container's first process: executes a sealed ChildPlan with system calls only
// (no allocation, no locks, no logging: the launcher may have threads, see style rule 6)
// and ends in execve. Every failure is sent on the sync socket as (step, index, errno)
// and the process exits 127.
#include "engine/runtime/plan.hpp"

namespace stack::engine::runtime {

[[noreturn]] void run_child(const ChildPlan& plan, int sync_fd);

}  // namespace stack::engine::runtime
