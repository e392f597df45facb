#pragma once
// One message with at most one file descriptor attached (unix(7) SCM_RIGHTS), for the
// sockets that hand a single fd over (an exec's pty master). They use only the stack, so
// a child with a copy of a threaded process's memory may call them; one that shares its
// launcher's memory must leave errno alone and sends an FdMessage itself (child.cpp).
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>

namespace stack {

// A sendmsg(2) header for len bytes of data with fd attached (fd < 0: none), in storage
// of its own: fill it, then pass &msg. It touches nothing but itself (no errno), so the
// container's first process, which may share its launcher's memory, builds its own.
struct FdMessage {
  iovec iov{};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  FdMessage(const void* data, size_t len, int fd);
  FdMessage(const FdMessage&) = delete;  // msg points into the object
  FdMessage& operator=(const FdMessage&) = delete;
};

// sendmsg(2) of len bytes with fd attached (fd < 0: none), MSG_NOSIGNAL; returns what
// sendmsg returns, errno set on failure.
ssize_t send_with_fd(int sock, const void* data, size_t len, int fd);
// recvmsg(2) of up to len bytes; *fd gets the attached descriptor (close-on-exec) or -1.
// Returns what recvmsg returns, errno set on failure.
ssize_t recv_with_fd(int sock, void* data, size_t len, int* fd);

}  // namespace stack
