#pragma once
// A seccomp program laid out again as ranges of system call numbers.
//
// libseccomp compares the syscall number with every number a rule names: Docker's profile
// becomes 1,233 instructions, nearly all of them a `jeq` per allowed call. The kernel
// checks, converts and JIT-compiles the whole program in every container (seccomp(2);
// 0.21 ms each here, in the child, before exec). Most allowed numbers are neighbours, so
// the same decisions fit in a binary search over the ranges of numbers that are treated
// alike (~270 ranges for the three x86 ABIs): 295 instructions, loaded in 0.08 ms.
#include <linux/filter.h>

#include <optional>
#include <vector>

namespace stack::engine::runtime {

// A program that decides every (arch, nr, args) as prog does: for each architecture prog
// names, a binary search over the syscall number, whose leaves are what prog does for
// that range once the number is known (a return, or prog's own argument checks with the
// number already decided). Found by walking prog for one number of every range between
// the constants it compares with, so it is exact, not sampled. nullopt when prog does
// something this does not follow (the X register, scratch memory, arithmetic on the
// number or the architecture, an ordering test on the architecture): keep prog then.
std::optional<std::vector<sock_filter>> relayout_by_ranges(const std::vector<sock_filter>& prog);

}  // namespace stack::engine::runtime
