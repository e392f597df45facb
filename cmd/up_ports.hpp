#pragma once
// Published ports of the stack (`ports:`): every host port is bound before any
// container starts (reserve_ports: all or none, so a port in use fails `up` cleanly),
// then a TcpProxy on the supervisor's loop forwards it to the service's first
// container on the default network. Sockets die with the supervisor: nothing to journal.
// Not yet: UDP (refused by name), replicas beyond the first, host_ip of IPv6.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/up_network.hpp"
#include "engine/model/project.hpp"
#include "network/proxy_tcp.hpp"

namespace stack::cli {

class StackPorts {
 public:
  static Result<StackPorts> open(uv_loop_t* loop, const model::Project& project, const StackNetwork& network);
  // compose's Publishers of a service: [{URL, TargetPort, PublishedPort, Protocol}].
  nlohmann::json publishers(const std::string& service) const;

 private:
  std::vector<std::unique_ptr<net::TcpProxy>> proxies_;
  std::map<std::string, nlohmann::json> publishers_;
};

}  // namespace stack::cli
