#pragma once
// x-bandwidth on a container's link (docs/bandwidth.md): the limit the model resolved
// for the service on a network (model::bandwidth_on), journaled as "bandwidth <host end>
// <ifb>" before any qdisc or ifb exists (undo: net::teardown_bandwidth, replayed before
// the veth's record), then applied on the host end of the veth pair. Called after the
// veth is attached and before the container is started, so its first packet is shaped;
// again at each restart (the new pair has no qdiscs; the ifb is found by name).
#include <string>

#include "engine/model/project.hpp"
#include "engine/state/journal.hpp"
#include "network/bandwidth.hpp"

namespace stack::cli {

net::Bandwidth to_net(const model::Bandwidth& bw);

// Limits the new link whose host end is `host_veth` as s asks on `network`; nothing
// (and no journal record) if it asks for no limit.
Result<void> shape_new_link(const model::Service& s, const std::string& network, const std::string& host_veth,
                            state::Journal& journal);

// Makes a running link's limits what s now asks on `network`, in place (the rates
// change, connections stay; a direction no longer asked for is removed).
Result<void> reshape_link(const model::Service& s, const std::string& network, const std::string& host_veth,
                          state::Journal& journal);

}  // namespace stack::cli
