#pragma once
// Skips the test binary (exit 77) when the kernel cannot make an ifb device, after
// trying `modprobe ifb`: the egress limit cannot work without one.
#include <netlink/errno.h>
#include <netlink/route/link.h>

#include "network/bandwidth_apply.hpp"
#include "tests/integration/bandwidth/bw_lab.hpp"

namespace bwlab {

inline int try_ifb(Netlink& nl, const char* name) {
  LinkPtr link(rtnl_link_alloc());
  rtnl_link_set_type(link.get(), "ifb");
  rtnl_link_set_name(link.get(), name);
  int err = rtnl_link_add(nl.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == 0) rtnl_link_delete(nl.get(), link.get());
  return err;
}

inline void require_ifb(Host& host) {
  stack::testing::require_root();
  int err = try_ifb(host.nl, "sfprobe");
  if (err < 0) {
    stack::testing::run("modprobe ifb");
    err = try_ifb(host.nl, "sfprobe");
  }
  if (err < 0) stack::testing::skip(std::string("the kernel cannot make an ifb device: ") + nl_geterror(err));
}

// teardown_bandwidth as the journal replays it, in the lab's "host" netns.
inline stack::Result<bool> teardown_bandwidth_in(const Netns& host, const std::string& veth) {
  stack::Result<bool> out = false;
  ok(run_in_netns(host, [&]() -> stack::Result<void> {
    out = teardown_bandwidth(veth, ifb_name(veth));
    return {};
  }));
  return out;
}

}  // namespace bwlab
