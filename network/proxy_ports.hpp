#pragma once
// Published ports (`ports:`): expanding requests into one binding per host port, and
// reserving every host port before any container starts, so that a port already taken
// is an error at `up` that names the service and the port. The reserved sockets are
// handed to the proxies (TcpProxy/UdpProxy) later, so there is no window in which
// another program could take a port between the check and its use.
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::net {

enum class Protocol { Tcp, Udp };

// Where a proxy sends a new connection (TCP) or flow (UDP): asked each time, so a
// published port can follow a restarted container or balance over replicas; nullopt:
// nowhere now (the connection is closed, the datagram dropped).
using BackendPicker = std::function<std::optional<sockaddr_storage>()>;

// One `ports:` entry in plain values (the model normalises the compose syntax).
struct PortRequest {
  std::string service;
  std::string host_ip;           // "": every address, 0.0.0.0 and (if the host has IPv6) [::]
  std::uint16_t host_first = 0;  // 0: the kernel picks a free port per container port
  std::uint16_t host_last = 0;   // == host_first for a single port
  std::uint16_t container_first = 0;
  std::uint16_t container_last = 0;
  Protocol protocol = Protocol::Tcp;
};

// One host port forwarded to one container port.
struct PortBinding {
  std::string service;
  sockaddr_storage host{};  // port 0 until reserved
  std::uint16_t container_port = 0;
  Protocol protocol = Protocol::Tcp;
  // The [::] twin of a 0.0.0.0 binding: skipped, not an error, on a host without IPv6.
  bool optional = false;
};

// A bound (TCP: also listening) socket for a binding; `binding.host` has the real port.
struct ReservedPort {
  PortBinding binding;
  UniqueFd fd;
};

// Ranges map one to one ("8000-8002:80-82"), so both must have the same length.
Result<std::vector<PortBinding>> expand_ports(const std::vector<PortRequest>& requests);

// "127.0.0.1:8080/tcp"
std::string describe_port(const PortBinding& b);

// Binds every binding, or none: on the first failure the sockets bound so far are
// closed and the error names it: "port 127.0.0.1:8080/tcp for service web is already in use".
Result<std::vector<ReservedPort>> reserve_ports(const std::vector<PortBinding>& bindings);

}  // namespace stack::net
