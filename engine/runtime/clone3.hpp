#pragma once
// clone3(2)'s argument struct and the constants older headers lack, kept here so that
// <linux/sched.h> need not meet <sched.h>.
#include <cstdint>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

namespace stack::engine::runtime {

struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

}  // namespace stack::engine::runtime
