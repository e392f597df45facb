#pragma once
// Published ports of the stack (`ports:`): every host port is bound before any
// container starts (reserve_ports: all or none, so a port in use fails `up` cleanly),
// then a TcpProxy or UdpProxy on the supervisor's loop forwards it to the service's
// first container, at its address on eth0's network. A published range for one
// container port ("8000-8010:80") takes the first free port of the range, as Docker
// does. Sockets die with the supervisor: nothing to journal.
// network_mode host: ports are discarded with a warning (the container is on the host
// already); none and service:NAME cannot publish (an error, as in compose).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/up_networks.hpp"
#include "engine/model/project.hpp"
#include "network/proxy_ports.hpp"
#include "network/proxy_tcp.hpp"
#include "network/proxy_udp.hpp"

namespace stack::cli {

class StackPorts {
 public:
  // networks may be null when no service is on a network (then only host mode publishes).
  static Result<StackPorts> open(uv_loop_t* loop, const model::Project& project, const StackNetworks* networks);
  // compose's Publishers of a service's container: [{URL, TargetPort, PublishedPort,
  // Protocol}]; exposed-only ports with URL "" and PublishedPort 0. Only the first
  // container (n == 1) has the published ones.
  nlohmann::json publishers(const std::string& service, bool first) const;

 private:
  Result<void> start(uv_loop_t* loop, const model::Project& project, const StackNetworks& networks,
                     std::vector<net::ReservedPort> reserved);
  std::vector<std::unique_ptr<net::TcpProxy>> tcp_;
  std::vector<std::unique_ptr<net::UdpProxy>> udp_;
  std::map<std::string, nlohmann::json> publishers_;
};

}  // namespace stack::cli
