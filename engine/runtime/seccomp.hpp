#pragma once
// Compiles a SeccompProfile into a classic BPF program with libseccomp, before the clone,
// so that the child only has to hand the program to seccomp(2).
#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/seccomp_profile.hpp"

namespace stack::engine::runtime {

struct SeccompProgram {
  std::vector<sock_filter> filter;
  size_t rules_added = 0;    // (syscall, rule) pairs handed to libseccomp for the native arch
  int highest_syscall = -1;  // native number above which syscalls get ENOSYS (-1: none)
};

// caps: the container's bounding set, which decides the profile's includes/excludes.
// Kept in memory (the last few) and, once set_seccomp_cache_dir was called, on disk
// (seccomp_cache.hpp).
Result<SeccompProgram> compile_seccomp(const SeccompProfile& profile, uint64_t caps);
// The same for a shared profile: a cached program of the same profile object is found
// without comparing the profiles.
Result<SeccompProgram> compile_seccomp(const std::shared_ptr<const SeccompProfile>& profile, uint64_t caps);

// How the program is laid out; the decisions are the same. kRanges, what compile_seccomp
// makes: libseccomp's binary search (kTree) laid out again as a binary search over ranges
// of syscall numbers (seccomp_ranges.hpp), 295 instructions for Docker's profile instead
// of 1,233. The kernel converts and JIT-compiles the whole program in every container,
// and emulates it for every syscall number (its constant-action cache), so the size is
// paid at every start. kTree: libseccomp's SCMP_FLTATR_CTL_OPTIMIZE, ~11 comparisons to a
// syscall's rule instead of up to ~350 (loading it: 0.21 ms here, against 1.6 ms).
// kPriority: libseccomp's default (rules in priority order), for tests that compare.
enum class SeccompLayout { kRanges, kTree, kPriority };
// As compile_seccomp, without any cache.
Result<SeccompProgram> compile_seccomp_uncached(const SeccompProfile& profile, uint64_t caps, SeccompLayout layout);

// Where compiled programs are kept across processes; empty (the default): nowhere.
void set_seccomp_cache_dir(std::string dir);

}  // namespace stack::engine::runtime
