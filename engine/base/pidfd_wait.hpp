#pragma once
// A blocking waitid(P_PIDFD) that holds when the pidfd's open file description is
// non-blocking. A pidfd shared with a libuv poll (a dup, or one passed to another
// process) is made O_NONBLOCK by the poll (uv_poll_init sets it on the description,
// which every copy shares), and waitid(2) on a non-blocking pidfd returns EAGAIN for
// a process that has not exited yet, as pidfd_open(2) says, rather than waiting.
#include <signal.h>

namespace stack {

// waitid(P_PIDFD, pidfd, info, WEXITED | extra): EINTR is retried, and EAGAIN waits
// for the pidfd to turn readable (the process has exited) before retrying. Returns
// 0, or -1 with errno set.
int wait_pidfd(int pidfd, siginfo_t* info, int extra = 0);

}  // namespace stack
