#include "network/netlink.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/base/unique_fd.hpp"

#include "network/netns.hpp"

namespace stack::net {

void NlDeleter::operator()(nl_sock* p) const noexcept { nl_socket_free(p); }
void NlDeleter::operator()(nl_cache* p) const noexcept { nl_cache_free(p); }
void NlDeleter::operator()(nl_addr* p) const noexcept { nl_addr_put(p); }
void NlDeleter::operator()(rtnl_link* p) const noexcept { rtnl_link_put(p); }
void NlDeleter::operator()(rtnl_addr* p) const noexcept { rtnl_addr_put(p); }
void NlDeleter::operator()(rtnl_route* p) const noexcept { rtnl_route_put(p); }

namespace {

// libnl folds errno into its own NLE_* space; callers of Result look at errno values.
int nl_to_errno(int nl_err) {
  switch (nl_err < 0 ? -nl_err : nl_err) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_NOACCESS: return EACCES;
    case NLE_BUSY: return EBUSY;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_NOMEM: return ENOMEM;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    default: return EIO;
  }
}

}  // namespace

Unexpected<Error> nl_fail(int nl_err, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += nl_geterror(nl_err);
  return {Error{nl_to_errno(nl_err), std::move(msg)}};
}

Result<Netlink> Netlink::open() {
  NlPtr<nl_sock> s(nl_socket_alloc());
  if (!s) return fail_errno(ENOMEM, "failed to allocate a netlink socket");
  if (int err = nl_connect(s.get(), NETLINK_ROUTE); err < 0)
    return nl_fail(err, "failed to connect a NETLINK_ROUTE socket");
  // libnl opens the socket without SOCK_CLOEXEC; design invariant 3 wants every fd
  // closed on exec so that a container never inherits the host's netlink socket.
  int fd = nl_socket_get_fd(s.get());
  if (int flags = ::fcntl(fd, F_GETFD); flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return fail_errno("failed to set FD_CLOEXEC on a netlink socket");
  return Netlink(std::move(s));
}

// The calling thread enters ns for the socket's making only (socket(2) and bind(2) in
// nl_connect) and returns at once: setns(2) with CLONE_NEWNET moves that thread alone.
// It was a short-lived thread per socket; under an up's load (every CPU busy with the
// containers being made) the loop waited up to 11 ms for that thread to be scheduled,
// once per container (timestamps in the supervisor, up -d of 30).
Result<Netlink> Netlink::open_in(const Netns& ns) {
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return fail_errno("failed to open this thread's network namespace");
  if (::setns(ns.fd(), CLONE_NEWNET) != 0)
    return fail_errno("failed to enter network namespace '" + ns.label() + "' (setns)");
  auto nl = Netlink::open();
  if (::setns(home.get(), CLONE_NEWNET) != 0) {
    // Nothing this thread did after would be in the right place: every later socket
    // would configure the container's netns instead of the host's.
    std::fprintf(stderr, "stack: fatal: failed to return to the host network namespace (setns): %s\n",
                 std::strerror(errno));
    std::abort();
  }
  return nl;
}

}  // namespace stack::net
