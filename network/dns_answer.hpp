#pragma once
// What the embedded name server does with one incoming packet: answer it from the
// network's name table, forward it upstream, or drop it. Pure, so unit tests need no loop.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "network/dns_message.hpp"
#include "network/dns_table.hpp"

namespace stack::net::dns {

struct Decision {
  enum class Kind { Reply, Forward, Drop };
  Kind kind = Kind::Drop;
  std::vector<std::uint8_t> reply;  // for Reply
  Message query;                    // parsed, for Forward
};

enum class Transport { Udp, Tcp };

// Drops what is not a query (too short, or QR set: never answer a response, which could
// start a loop between two responders); FORMERR/NOTIMP for malformed or unsupported
// queries; names in the table get A records, NODATA for other types (AAAA: the networks
// are IPv4 only); anything else is forwarded. The addresses of a name are rotated left
// by `rotation` (mod their count), so clients that take the first address spread over
// a scaled service's replicas, as Docker's round-robin DNS does.
Decision decide(const NameTable& table, std::span<const std::uint8_t> packet, Transport transport, std::uint32_t ttl,
                std::size_t rotation = 0);

// The largest reply the client accepts on this transport (RFC 6891 6.2.5).
std::size_t max_reply_size(const Message& query, Transport transport);

}  // namespace stack::net::dns
