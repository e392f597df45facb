#pragma once
// System-call helpers for the child (child.cpp): path resolution inside the rootfs and
// the plan's filesystem ops. Nothing here allocates or touches errno (sys.hpp).
#include "engine/runtime/plan.hpp"

namespace stack::engine::runtime::child {

// openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): symlinks and ".."
// never leave root (openat2(2)); returns the fd or -errno (sys.hpp: errno is not ours).
int resolve(int root, const char* path, int flags);
// "/proc/self/fd/<fd>" into buf (at least 32 bytes), so that mount(2) acts on the very
// object resolve() found.
const char* fd_path(int fd, char* buf);
// One op; returns 0 or an errno.
int run_op(int root, const ChildOp& op);

}  // namespace stack::engine::runtime::child
