#include "network/dns_answer.hpp"

#include <algorithm>

namespace stack::net::dns {

namespace {

constexpr std::uint16_t kTypeANY = 255;
constexpr std::uint16_t kClassANY = 255;

Decision reply(std::vector<std::uint8_t> bytes) {
  Decision d;
  d.kind = Decision::Kind::Reply;
  d.reply = std::move(bytes);
  return d;
}

}  // namespace

std::size_t max_reply_size(const Message& query, Transport transport) {
  if (transport == Transport::Tcp) return kMaxTcp;
  std::size_t edns = query.edns_udp_size();
  return edns == 0 ? kMaxUdpPlain : std::min(edns, kMaxUdpEdns);
}

Decision decide(const NameTable& table, std::span<const std::uint8_t> packet, Transport transport, std::uint32_t ttl,
                std::size_t rotation) {
  auto header = parse_header(packet);
  if (!header || header->qr()) return Decision{};
  auto msg = parse_message(packet);
  if (!msg) return reply(build_header_only(*header, Rcode::FormErr));
  if (header->opcode() != 0) return reply(build_header_only(*header, Rcode::NotImp));
  if (msg->questions.size() != 1) return reply(build_header_only(*header, Rcode::FormErr));
  const Question& q = msg->questions[0];
  bool in_class = q.klass == kClassIN || q.klass == kClassANY;
  if (!in_class || !table.contains(q.name)) {
    Decision d;
    d.kind = Decision::Kind::Forward;
    d.query = std::move(*msg);
    return d;
  }
  std::vector<in_addr> addrs;
  if (q.type == kTypeA || q.type == kTypeANY) addrs = table.lookup(q.name);
  if (!addrs.empty())
    std::rotate(addrs.begin(), addrs.begin() + static_cast<std::ptrdiff_t>(rotation % addrs.size()), addrs.end());
  return reply(build_response(*msg, Rcode::NoError, addrs, ttl, max_reply_size(*msg, transport)));
}

}  // namespace stack::net::dns
