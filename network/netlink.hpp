#pragma once
// RAII owners for libnl-3 objects (style.md rule 3) and the one rtnetlink socket type.
// A netlink socket stays bound to the network namespace it was created in
// (netlink(7), net/netlink/af_netlink.c: sock_net is fixed at socket()), so a socket
// opened inside a container's netns configures that netns from any thread.
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

struct nl_sock;
struct nl_cache;
struct nl_addr;
struct rtnl_link;
struct rtnl_addr;
struct rtnl_route;

namespace stack::net {

class Netns;

struct NlDeleter {
  void operator()(nl_sock* p) const noexcept;
  void operator()(nl_cache* p) const noexcept;
  void operator()(nl_addr* p) const noexcept;
  void operator()(rtnl_link* p) const noexcept;
  void operator()(rtnl_addr* p) const noexcept;
  void operator()(rtnl_route* p) const noexcept;
};

template <typename T>
using NlPtr = std::unique_ptr<T, NlDeleter>;

using LinkPtr = NlPtr<rtnl_link>;
using AddrPtr = NlPtr<rtnl_addr>;
using RoutePtr = NlPtr<rtnl_route>;
using CachePtr = NlPtr<nl_cache>;
using NlAddrPtr = NlPtr<nl_addr>;

// A libnl error code (negative NLE_*) as an Error: "<what>: <nl_geterror text>".
// The errno-like code is kept when libnl maps one (NLE_EXIST -> EEXIST and so on).
Unexpected<Error> nl_fail(int nl_err, std::string_view what);

// A connected NETLINK_ROUTE socket, move-only.
class Netlink {
 public:
  // A socket in the calling thread's network namespace.
  static Result<Netlink> open();
  // A socket in `ns`: the calling thread setns(2)s into it for socket(2) and bind(2)
  // and back, so its namespace is the same when this returns (setns with CLONE_NEWNET
  // moves only the calling thread). A thread that cannot go back aborts the process.
  static Result<Netlink> open_in(const Netns& ns);

  Netlink(Netlink&&) noexcept = default;
  Netlink& operator=(Netlink&&) noexcept = default;

  nl_sock* get() const noexcept { return sock_.get(); }

 private:
  explicit Netlink(NlPtr<nl_sock> s) : sock_(std::move(s)) {}
  NlPtr<nl_sock> sock_;
};

}  // namespace stack::net
