#pragma once
// Compiles a SeccompProfile into a classic BPF program with libseccomp, before the clone,
// so that the child only has to hand the program to seccomp(2).
#include <linux/filter.h>

#include <cstdint>
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

// Where compiled programs are kept across processes; empty (the default): nowhere.
void set_seccomp_cache_dir(std::string dir);

}  // namespace stack::engine::runtime
