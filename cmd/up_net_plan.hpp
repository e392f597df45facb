#pragma once
// What `up` makes of the stack file's networks, as plain values (no kernel): each
// network in the host's terms (full name, bridge, subnet request, internal, external)
// and, per service, its attachments in interface order: eth0 is the network of the
// highest `priority`, ties in the order of the network keys (as compose orders them).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/model/project.hpp"
#include "network/ipam_state.hpp"

namespace stack::cli {

struct NetDef {
  std::string key;        // the stack file's key: "default", "front"
  std::string full_name;  // on the host: "<project>_<key>", `name:`, or the external's name
  std::string bridge;     // net::bridge_name(full_name)
  bool internal = false;
  bool external = false;  // made by another stack: joined, never made or removed here
  net::SubnetRequest request;
};

struct NetAttachment {
  std::string network;  // NetDef::key
  std::vector<std::string> aliases;
  std::optional<net::Ipv4> ipv4_address;
};

struct NetPlan {
  std::vector<NetDef> networks;                                // every network a service is on
  std::map<std::string, std::vector<NetAttachment>> services;  // services without network_mode
  std::vector<std::string> notes;  // keys accepted without effect (labels, driver_opts), for the log
  const NetDef* find(const std::string& key) const;
};

Result<NetPlan> plan_networks(const model::Project& project);

}  // namespace stack::cli
