#pragma once
// A seccomp profile as data, in the shape of Docker's/OCI's JSON profiles: a default
// action and rules that are conditional on the container's capabilities and the
// architecture. seccomp.hpp compiles it into a BPF program with libseccomp.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stack::engine::runtime {

enum class SeccompAction { kAllow, kErrno };

enum class SeccompOp { kNe, kEq, kMaskedEq, kLt, kLe, kGe, kGt };

struct SeccompArg {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;  // kMaskedEq: (arg & value) == value_two (libseccomp's SCMP_CMP_MASKED_EQ)
  SeccompOp op = SeccompOp::kEq;
  bool operator==(const SeccompArg&) const = default;
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  int errno_ret = 0;  // for kErrno
  std::vector<SeccompArg> args;
  std::vector<std::string> include_caps;  // rule applies only if all are in the bounding set
  std::vector<std::string> exclude_caps;  // rule applies only if none is
  std::vector<std::string> include_arches;  // Go names ("amd64", "arm64"); empty: all
  std::vector<std::string> exclude_arches;
  bool operator==(const SeccompRule&) const = default;
};

struct SeccompProfile {
  SeccompAction default_action = SeccompAction::kErrno;
  int default_errno = 1;  // EPERM
  std::vector<SeccompRule> rules;
  // Syscalls numbered above the highest one the profile names get ENOSYS instead of the
  // default action, so that programs fall back from syscalls newer than the profile
  // (runc and crun do the same).
  bool enosys_for_newer = true;
  bool operator==(const SeccompProfile&) const = default;
};

// The effect of Docker's default profile (moby profiles/seccomp/default.json).
SeccompProfile docker_default_seccomp();
// The same, made once per process and shared by every spec that takes the default: a
// profile is ~400 strings, which each container's spec built and the program cache
// compared in full (up -d of 30: ~1.3 ms of the loop's 16 ms of user time).
std::shared_ptr<const SeccompProfile> shared_docker_default_seccomp();

}  // namespace stack::engine::runtime
