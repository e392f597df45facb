#pragma once
// Published ports of the stack (`ports:`), served by TcpProxy/UdpProxy on the
// supervisor's loop (docs/names-and-ports.md, "In up"). Two kinds of entry:
//   per replica  "80", "127.0.0.1::80" (no host port) or "8000-8010:80" (a range for one
//                container port): each replica gets its own host port, kernel-picked or
//                the first free one of the range, as docker compose does;
//   shared       "8080:80" (one host port): one listener for the service; each new
//                connection (UDP: flow) goes to the next running replica in turn
//                (docker compose fails replica 2 with "port is already allocated").
// The backend is chosen per connection from the containers running then, so a port
// follows a recreated or restarted container to its new address.
//
// Every change is two steps, so that a port taken on the host fails an `up` before
// anything stops or starts: prepare() binds the new host ports (all or none, an error
// naming service and port) and commit() starts their proxies and closes the ports no
// longer wanted (those of removed services, entries and replicas). A shared port held
// already is kept, even when it moves to another service. Sockets die with the
// supervisor: nothing to journal.
// network_mode host: ports are discarded with a warning (the container is on the host
// already); none and service:NAME cannot publish (an error, as in compose).
#include <cstdint>
#include <functional>
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

// What the ports ask of the supervisor, at each new connection.
struct PortBackends {
  std::string project;
  const StackNetworks* networks = nullptr;  // addresses on eth0's network; null: no network
  // Indices of the service's replicas that run now (not those being retired), ascending.
  std::function<std::vector<uint64_t>(const std::string& service)> running;
};

// A service as the ports see it: its definition and how many replicas (1..replicas) it has.
struct PortService {
  const model::Service* spec = nullptr;
  uint64_t replicas = 0;
};

class StackPorts {
 public:
  struct Held;
  // New host ports, bound and not yet serving, and the keys of those that go.
  struct Change {
    std::vector<std::pair<std::string, std::unique_ptr<Held>>> add;
    std::map<std::string, std::pair<std::string, uint16_t>> retarget;  // shared key -> service, container port
    std::vector<std::string> drop;
    std::map<std::string, nlohmann::json> exposed;
    Change();
    Change(Change&&) noexcept;
    Change& operator=(Change&&) noexcept;
    ~Change();
  };

  StackPorts(uv_loop_t* loop, PortBackends backends);
  StackPorts(const StackPorts&) = delete;
  StackPorts& operator=(const StackPorts&) = delete;
  ~StackPorts();

  // services: every service that has (or keeps) containers after the change.
  Result<Change> prepare(const std::map<std::string, PortService>& services) const;
  Result<void> commit(Change change);
  // compose's Publishers of a container: [{URL, TargetPort, PublishedPort, Protocol}],
  // its own and its service's shared ports; exposed-only ports with URL "" and
  // PublishedPort 0.
  nlohmann::json publishers(const std::string& service, uint64_t index) const;

 private:
  std::optional<sockaddr_storage> pick(Held& h) const;

  uv_loop_t* loop_;
  PortBackends backends_;
  std::map<std::string, std::unique_ptr<Held>> held_;  // key: "shared <host>/<proto>" or "<service>#<n> ..."
  std::map<std::string, nlohmann::json> exposed_;
};

}  // namespace stack::cli
