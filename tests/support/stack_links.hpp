#pragma once
// The links a stack could make, for leak checks. Their names are hashes
// (network/names.hpp: sb-<12 hex> bridges, sv<13 hex> veth host ends,
// network/bandwidth_apply.hpp: sf<13 hex> ifbs), so they never contain the project's
// name and `ip link | grep PROJECT` finds nothing even when they leak. Instead the
// names are derived from the stack's resolved config: each network the stack makes
// (not the external ones), each service's replicas 1..max_replicas on each of them.
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "network/bandwidth_apply.hpp"
#include "network/names.hpp"
#include "tests/support/testing.hpp"

namespace stack::testing {

// config_json: `stack config --format json` of the stack file. Empty if it is no JSON.
inline std::set<std::string> possible_links(const std::string& project, const std::string& config_json,
                                            unsigned max_replicas = 8) {
  std::set<std::string> out;
  auto config = nlohmann::json::parse(config_json, nullptr, false);
  if (config.is_discarded() || !config.is_object()) return out;
  std::set<std::string> nets{project + "_default"};  // every service without networks: is on it
  const auto networks = config.value("networks", nlohmann::json::object());
  const auto services = config.value("services", nlohmann::json::object());
  for (const auto& [key, n] : networks.items())
    if (!n.is_object() || !n.value("external", false))
      nets.insert(n.is_object() && n.contains("name") ? n["name"].get<std::string>() : project + "_" + key);
  for (const auto& net : nets) out.insert(net::bridge_name(net));
  for (const auto& [service, s] : services.items())
    for (unsigned i = 1; i <= max_replicas; ++i)
      for (const auto& net : nets) {
        auto veth = net::veth_name(project + "-" + service + "-" + std::to_string(i), net);
        out.insert(veth);
        out.insert(net::ifb_name(veth));
      }
  return out;
}

// Which of `names` exist on the host now, one "link NAME" line each.
inline std::string existing_links(const std::set<std::string>& names) {
  std::istringstream in(run("ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1", false).out);
  std::string out;
  for (std::string name; std::getline(in, name);)
    if (names.count(name)) out += "link " + name + "\n";
  return out;
}

}  // namespace stack::testing
