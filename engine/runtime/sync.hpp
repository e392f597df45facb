#pragma once
// The typed sync channel between the launcher and the child (style rule 6): a
// socketpair(AF_UNIX, SOCK_SEQPACKET), one message per record. The parent sends kGo once
// cgroup and network setup are done; the child answers kExecing right before execve, and
// kError (step, op index, errno) on any failure. A successful execve closes the child's
// end (O_CLOEXEC): kExecing then end-of-file means "the command runs"; end-of-file
// without kExecing means the child died during setup.
#include <cstdint>

namespace stack::engine::runtime {

// exec.hpp's helper also sends kPid (index = the exec'd process's pid) and kPtyMaster
// (the master fd attached with SCM_RIGHTS).
enum class SyncKind : uint32_t { kGo = 1, kError = 2, kExecing = 3, kPid = 4, kPtyMaster = 5 };

enum class Step : uint32_t {
  kWaitGo,
  kJoinNamespace,
  kCgroupNamespace,
  kSession,
  kMountPrivate,
  kOpenRoot,
  kOp,  // index = the ChildPlan op
  kPivotRoot,
  kReadonlyRoot,
  kHostname,
  kLoopback,
  kRlimit,  // index = the rlimit
  kStdio,
  kCloseFds,
  kWorkdir,
  kWorkdirEscape,
  kBounding,
  kSeccomp,
  kKeepCaps,
  kSetgroups,
  kSetgid,
  kSetuid,
  kCapset,
  kAmbient,
  kNoNewPrivs,
  kInitFork,
  kExec,
  kJoinCgroup,   // exec: writing 0 into a cgroup.procs (index = which)
  kOpenPty,      // exec: /dev/ptmx in the container
  kSendPty,      // exec: passing the master back
  kExecClone,    // exec: cloning the process into the pid namespace
};

struct SyncMessage {
  SyncKind kind = SyncKind::kGo;
  Step step = Step::kWaitGo;
  uint32_t index = 0;
  int32_t err = 0;
};

}  // namespace stack::engine::runtime
