#pragma once
// One message with at most one file descriptor attached (unix(7) SCM_RIGHTS), for the
// sockets that hand a single fd over (an exec's pty master). Both use only the stack, so
// a child of a threaded process may call them.
#include <sys/types.h>

#include <cstddef>

namespace stack {

// sendmsg(2) of len bytes with fd attached (fd < 0: none), MSG_NOSIGNAL; returns what
// sendmsg returns, errno set on failure.
ssize_t send_with_fd(int sock, const void* data, size_t len, int fd);
// recvmsg(2) of up to len bytes; *fd gets the attached descriptor (close-on-exec) or -1.
// Returns what recvmsg returns, errno set on failure.
ssize_t recv_with_fd(int sock, void* data, size_t len, int* fd);

}  // namespace stack
