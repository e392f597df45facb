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

// How libseccomp lays the program out (SCMP_FLTATR_CTL_OPTIMIZE); the decisions are the
// same. kTree, what compile_seccomp makes: the syscall numbers in a binary search, ~11
// comparisons to a syscall's rule instead of up to ~350. The kernel emulates the program
// for every syscall number when it is loaded (its constant-action cache), so loading it
// costs 0.4 ms here instead of 1.6 ms for Docker's profile, in every container; and each
// syscall the cache does not answer runs fewer instructions. kPriority: libseccomp's
// default (rules in priority order), for tests that compare the two.
enum class SeccompLayout { kTree, kPriority };
// As compile_seccomp, without any cache.
Result<SeccompProgram> compile_seccomp_uncached(const SeccompProfile& profile, uint64_t caps, SeccompLayout layout);

// Where compiled programs are kept across processes; empty (the default): nowhere.
void set_seccomp_cache_dir(std::string dir);

}  // namespace stack::engine::runtime
