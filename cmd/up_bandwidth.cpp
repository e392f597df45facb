#include "cmd/up_bandwidth.hpp"

#include "engine/model/bandwidth.hpp"
#include "network/bandwidth_apply.hpp"
#include "network/netlink.hpp"

namespace stack::cli {

net::Bandwidth to_net(const model::Bandwidth& bw) { return {bw.egress_bps, bw.ingress_bps, bw.burst_bytes}; }

Result<void> reshape_link(const model::Service& s, const std::string& network, const std::string& host_veth,
                          state::Journal& journal) {
  net::Bandwidth bw = to_net(model::bandwidth_on(s, network));
  std::string what = "service " + s.name + ": x-bandwidth on network " + network;
  if (!bw.empty()) {
    auto rec = journal.add("bandwidth", {{"link", host_veth}, {"ifb", net::ifb_name(host_veth)}});
    if (!rec) return unexpected(rec.error().wrap(what));
  }
  auto nl = net::Netlink::open();
  if (!nl) return unexpected(nl.error().wrap(what));
  auto applied = net::apply_bandwidth(*nl, host_veth, bw);
  if (!applied) return unexpected(applied.error().wrap(what));
  return {};
}

Result<void> shape_new_link(const model::Service& s, const std::string& network, const std::string& host_veth,
                            state::Journal& journal) {
  if (model::bandwidth_on(s, network).empty()) return {};
  return reshape_link(s, network, host_veth, journal);
}

}  // namespace stack::cli
