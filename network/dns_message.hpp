#pragma once
// DNS wire format (RFC 1035 section 4, EDNS0 from RFC 6891): a defensive parser and
// the few builders the embedded name server needs. Parsers take bytes (style.md rule 11)
// and never read past the buffer: counts are checked against the remaining bytes before
// anything is allocated, and compression pointers must point strictly backwards, so a
// pointer loop cannot exist.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::net::dns {

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAAAA = 28;
constexpr std::uint16_t kTypeOPT = 41;
constexpr std::uint16_t kClassIN = 1;
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxUdpPlain = 512;  // RFC 1035 4.2.1, without EDNS
constexpr std::size_t kMaxUdpEdns = 1232;  // the DNS flag day 2020 recommendation
constexpr std::size_t kMaxTcp = 65535;     // RFC 1035 4.2.2: a 16-bit length prefix

enum class Rcode : std::uint8_t { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 };

struct Header {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint16_t qdcount = 0;
  std::uint16_t ancount = 0;
  std::uint16_t nscount = 0;
  std::uint16_t arcount = 0;

  bool qr() const { return (flags & 0x8000) != 0; }
  std::uint8_t opcode() const { return (flags >> 11) & 0xF; }
  bool tc() const { return (flags & 0x0200) != 0; }
  bool rd() const { return (flags & 0x0100) != 0; }
  Rcode rcode() const { return static_cast<Rcode>(flags & 0xF); }
};

struct Question {
  std::string name;  // dotted, without the trailing dot, case as received ("" is the root)
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct Record {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::vector<std::uint8_t> rdata;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;

  // The requester's UDP payload size from an OPT record, or 0 without EDNS.
  std::uint16_t edns_udp_size() const;
};

Result<Header> parse_header(std::span<const std::uint8_t> msg);
// Reads a possibly compressed name at `offset` and advances it past the name's bytes.
Result<std::string> read_name(std::span<const std::uint8_t> msg, std::size_t& offset);
Result<Message> parse_message(std::span<const std::uint8_t> msg);

// Lower-cases ASCII and drops one trailing dot: the form names are compared in (RFC 4343).
std::string canonical_name(std::string_view name);

std::vector<std::uint8_t> build_query(std::uint16_t id, std::string_view name, std::uint16_t type,
                                      bool with_edns = false);

// An answer to `query` (its first question): A records for `addresses` (none for NODATA
// or an error rcode). Answers that would make the message larger than `max_size` are
// left out and TC is set (RFC 2181 9), so the client retries over TCP.
std::vector<std::uint8_t> build_response(const Message& query, Rcode rcode, std::span<const in_addr> addresses,
                                         std::uint32_t ttl, std::size_t max_size);

// An error reply that echoes only the header's id and opcode: for a query whose
// question could not be parsed (FORMERR) or that has no usable question.
std::vector<std::uint8_t> build_header_only(const Header& query, Rcode rcode);

// Rewrites the id of a (forwarded) message in place.
void set_id(std::span<std::uint8_t> msg, std::uint16_t id);

}  // namespace stack::net::dns
