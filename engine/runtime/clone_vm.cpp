#include "engine/runtime/clone_vm.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "engine/runtime/clone3.hpp"
#include "engine/runtime/sys.hpp"

#define STACK_STR2(x) #x
#define STACK_STR(x) STACK_STR2(x)

#if defined(__x86_64__)
// stack_clone3_vm(args, size, fn, arg): clone3, then in the child fn(arg) on the new
// stack. The kernel starts the child at the instruction after `syscall` with the
// parent's registers but rax = 0 and rsp = stack + stack_size; `syscall` itself
// overwrites rcx and r11, so arg moves to r9 first. rdx (fn) and r9 survive it. A new
// stack is 16-byte aligned (page-aligned, page-sized), as the call wants.
extern "C" long stack_clone3_vm(void* args, size_t size, void (*fn)(void*), void* arg);
__asm__(
    ".text\n"
    ".globl stack_clone3_vm\n"
    ".hidden stack_clone3_vm\n"
    ".type stack_clone3_vm, @function\n"
    "stack_clone3_vm:\n"
    "  mov %rcx, %r9\n"
    "  mov $" STACK_STR(SYS_clone3) ", %eax\n"
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jnz 1f\n"
    "  xor %ebp, %ebp\n"
    "  mov %r9, %rdi\n"
    "  call *%rdx\n"
    "  mov $" STACK_STR(SYS_exit_group) ", %eax\n"
    "  xor %edi, %edi\n"
    "  syscall\n"
    "  hlt\n"
    "1:\n"
    "  ret\n"
    ".size stack_clone3_vm, .-stack_clone3_vm\n");
#endif

namespace stack::engine::runtime {
namespace {
constexpr size_t kGuard = 4096;
}

bool can_clone_vm() {
#if defined(__x86_64__)
  static_assert(sys::kRaw, "the child's system calls must leave errno alone");
  return true;
#else
  return false;
#endif
}

Result<ChildStack> ChildStack::make(size_t size) {
  size = (size + kGuard - 1) / kGuard * kGuard;
  void* map = ::mmap(nullptr, size + kGuard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
                     -1, 0);
  if (map == MAP_FAILED) return fail_errno("mapping a stack for the container process");
  if (::mprotect(map, kGuard, PROT_NONE) != 0) {
    auto e = fail_errno("protecting the guard page of the container process's stack");
    ::munmap(map, size + kGuard);
    return e;
  }
  return ChildStack(map, size);
}

ChildStack::ChildStack(ChildStack&& o) noexcept : map_(o.map_), size_(o.size_) {
  o.map_ = nullptr;
  o.size_ = 0;
}

ChildStack::~ChildStack() {
  if (map_) ::munmap(map_, size_ + kGuard);
}

void* ChildStack::base() const { return static_cast<char*>(map_) + kGuard; }

BlockSignals::BlockSignals() {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old_);
}

BlockSignals::~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

long clone3_vm(CloneArgs& args, void (*fn)(void*), void* arg) {
#if defined(__x86_64__)
  return stack_clone3_vm(&args, sizeof args, fn, arg);
#else
  (void)args, (void)fn, (void)arg;
  return -ENOSYS;
#endif
}

}  // namespace stack::engine::runtime
