#pragma once
// System calls for the container's first process (child.cpp) and the exec helper
// (exec_child.cpp) that never touch errno or any other thread-local state.
//
// On x86_64 the first process shares its launcher's memory until it calls execve
// (CLONE_VM, see clone_vm.hpp): errno and glibc's per-thread cancellation state live in
// the memory of the thread that cloned it, which goes on running, as do other children
// cloned from that thread. A libc wrapper there would read an errno that another
// process just wrote (seen: mkdirat's EEXIST read as another child's EINVAL). Here the
// kernel's own return value is the result: >= 0 on success, -errno on failure.
//
// Elsewhere the child is a copy of the launcher's memory (no CLONE_VM), and these go
// through libc's syscall(3), turning its -1/errno into the same -errno.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <type_traits>

namespace stack::engine::runtime::sys {

#if defined(__x86_64__)
inline constexpr bool kRaw = true;

// The x86_64 system call convention: number in rax, arguments in rdi, rsi, rdx, r10, r8,
// r9; the kernel clobbers rcx and r11 and returns in rax.
inline long raw6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "0"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#else
inline constexpr bool kRaw = false;

inline long raw6(long n, long a1, long a2, long a3, long a4, long a5, long a6) {
  long r = ::syscall(n, a1, a2, a3, a4, a5, a6);
  return r == -1 ? -errno : r;
}
#endif

template <class T>
inline long arg(T v) {
  if constexpr (std::is_same_v<T, std::nullptr_t>) return 0;
  else if constexpr (std::is_pointer_v<T>) return reinterpret_cast<long>(v);
  else return static_cast<long>(v);
}

// call(SYS_mount, src, target, type, flags, data): the kernel's result, or -errno.
template <class... T>
inline long call(long n, T... v) {
  static_assert(sizeof...(T) <= 6, "a system call takes at most six arguments");
  long a[6] = {arg(v)...};
  return raw6(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

// Every signal back to SIG_DFL: an all-zero kernel sigaction is { SIG_DFL, no flags, no
// mask } in every architecture's layout.
inline long default_action(int signal) {
  unsigned long act[4] = {};
  return call(SYS_rt_sigaction, signal, act, nullptr, sizeof(unsigned long));
}

// The whole mask (64 signals) at once.
inline long set_signal_mask(unsigned long mask) {
  return call(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, sizeof mask);
}

[[noreturn]] inline void exit_now(int code) {
  for (;;) call(SYS_exit_group, code);
}

}  // namespace stack::engine::runtime::sys
