#pragma once
// The container's first process in its launcher's memory (clone3 with CLONE_VM) until
// execve, as posix_spawn(3) starts a program, instead of in a copy of it.
//
// A copy costs the launcher more than the child: fork marks every private page of a
// process with threads read-only, and each page the launcher (the supervisor's loop and
// pool threads) writes afterwards faults, is copied and flushed from the other CPUs' TLBs
// by an inter-processor interrupt. perf of `up -d` of 100 services (2026-12-04): 12.9%
// of all CPU samples in do_wp_page, 10.7% in flush_tlb_mm_range, plus 4.8% copying and
// tearing down page tables (dup_mmap, exit_mmap), a quarter of the supervisor's time.
//
// What sharing asks of the child (child.cpp) and of its launcher (container.cpp):
// - the child writes nothing but its own stack (ChildStack) and makes only sys.hpp
//   system calls: errno and glibc's thread state are the cloning thread's;
// - the plan it reads stays where it is, unchanged, until the child has exec'd or was
//   reaped (Container keeps both on the heap until then);
// - it starts with every signal blocked (a libuv handler would run in our memory) and
//   sets its handlers to SIG_DFL before it unblocks them;
// - the memory map is not dumpable (prctl PR_SET_DUMPABLE), before and after the clone:
//   once the child took a container user's ids, ptrace by that user would otherwise
//   reach the launcher's memory.
// init: true keeps a copy (its PID 1 never execs; it lives on in our code).
#include <signal.h>

#include <cstddef>

#include "engine/base/result.hpp"

namespace stack::engine::runtime {

struct CloneArgs;  // clone3.hpp (its P_PIDFD must not precede <sys/wait.h>)

// Whether this build starts children with CLONE_VM (x86_64, whose sys.hpp is raw).
bool can_clone_vm();

// A stack for a CLONE_VM child: anonymous memory with an inaccessible (PROT_NONE) guard
// page below it, unmapped when dropped (only once the child no longer runs on it).
class ChildStack {
 public:
  static Result<ChildStack> make(size_t size = 64 * 1024);
  ChildStack(ChildStack&& o) noexcept;
  ChildStack& operator=(ChildStack&&) = delete;
  ChildStack(const ChildStack&) = delete;
  ~ChildStack();
  // Lowest usable address and size, for clone_args.stack and stack_size.
  void* base() const;
  size_t size() const { return size_; }

 private:
  ChildStack(void* map, size_t size) : map_(map), size_(size) {}
  void* map_ = nullptr;  // the guard page, then size_ bytes
  size_t size_ = 0;
};

// clone3(args) where args.flags has CLONE_VM and args.stack/stack_size are set: the child
// runs fn(arg) on that stack (fn must not return; if it does, the child exits 0). Returns
// the child's pid to the caller, or -errno. The caller blocks every signal around it
// (BlockSignals), so that the child starts with all of them blocked.
long clone3_vm(CloneArgs& args, void (*fn)(void*), void* arg);

// Blocks every signal in the calling thread for the object's life.
class BlockSignals {
 public:
  BlockSignals();
  ~BlockSignals();
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;

 private:
  sigset_t old_{};
};

}  // namespace stack::engine::runtime
