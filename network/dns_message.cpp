#include "network/dns_message.hpp"

#include <algorithm>
#include <cctype>

namespace stack::net::dns {

namespace {

constexpr std::size_t kMaxName = 255;  // RFC 1035 2.3.4, in wire bytes
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMinQuestion = 5;  // root name + type + class
constexpr std::size_t kMinRecord = 11;   // root name + type, class, ttl, rdlength
constexpr int kMaxJumps = 64;

std::uint16_t be16(std::span<const std::uint8_t> m, std::size_t at) {
  return static_cast<std::uint16_t>((m[at] << 8) | m[at + 1]);
}

std::uint32_t be32(std::span<const std::uint8_t> m, std::size_t at) {
  return (std::uint32_t{be16(m, at)} << 16) | be16(m, at + 2);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xFFFF));
}

// Encodes a dotted name; a name that cannot be encoded becomes the root, which is
// harmless in an echo and never matches a table entry.
void put_name(std::vector<std::uint8_t>& out, std::string_view name) {
  std::vector<std::uint8_t> enc;
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::size_t len = dot - start;
    if (len == 0 || len > kMaxLabel) {
      enc.clear();
      break;
    }
    enc.push_back(static_cast<std::uint8_t>(len));
    enc.insert(enc.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
               name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  if (enc.size() + 1 > kMaxName) enc.clear();
  out.insert(out.end(), enc.begin(), enc.end());
  out.push_back(0);
}

void put_header(std::vector<std::uint8_t>& out, const Header& h) {
  put16(out, h.id);
  put16(out, h.flags);
  put16(out, h.qdcount);
  put16(out, h.ancount);
  put16(out, h.nscount);
  put16(out, h.arcount);
}

Result<Record> read_record(std::span<const std::uint8_t> msg, std::size_t& off) {
  Record r;
  auto name = read_name(msg, off);
  if (!name) return unexpected(std::move(name).error());
  r.name = std::move(*name);
  if (msg.size() - off < 10) return fail("DNS record header runs past the message");
  r.type = be16(msg, off);
  r.klass = be16(msg, off + 2);
  r.ttl = be32(msg, off + 4);
  std::size_t rdlen = be16(msg, off + 8);
  off += 10;
  if (msg.size() - off < rdlen) return fail("DNS record data runs past the message");
  r.rdata.assign(msg.begin() + static_cast<std::ptrdiff_t>(off),
                 msg.begin() + static_cast<std::ptrdiff_t>(off + rdlen));
  off += rdlen;
  return r;
}

Result<void> read_records(std::span<const std::uint8_t> msg, std::size_t& off, std::size_t count,
                          std::vector<Record>& out) {
  for (std::size_t i = 0; i < count; ++i) {
    auto r = read_record(msg, off);
    if (!r) return unexpected(std::move(r).error());
    out.push_back(std::move(*r));
  }
  return {};
}

}  // namespace

std::uint16_t Message::edns_udp_size() const {
  for (const auto& r : additional)
    if (r.type == kTypeOPT) return std::max<std::uint16_t>(r.klass, kMaxUdpPlain);
  return 0;
}

Result<Header> parse_header(std::span<const std::uint8_t> msg) {
  if (msg.size() < kHeaderSize) return fail("DNS message shorter than its 12-byte header");
  return Header{be16(msg, 0), be16(msg, 2), be16(msg, 4), be16(msg, 6), be16(msg, 8), be16(msg, 10)};
}

Result<std::string> read_name(std::span<const std::uint8_t> msg, std::size_t& offset) {
  std::string name;
  std::size_t pos = offset;
  std::size_t wire_len = 0;
  bool jumped = false;
  int jumps = 0;
  for (;;) {
    if (pos >= msg.size()) return fail("DNS name runs past the message");
    std::uint8_t len = msg[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= msg.size()) return fail("DNS compression pointer runs past the message");
      std::size_t target = static_cast<std::size_t>(((len & 0x3F) << 8) | msg[pos + 1]);
      // Pointers must point strictly backwards and a name is at most 255 bytes: every
      // cycle through a pointer reads a label, so a loop ends at the length limit.
      if (target >= pos) return fail("DNS compression pointer does not point backwards");
      if (++jumps > kMaxJumps) return fail("DNS name has too many compression pointers");
      if (!jumped) offset = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if ((len & 0xC0) != 0) return fail("DNS label type reserved (RFC 6891 9)");
    wire_len += len + 1u;
    if (wire_len > kMaxName) return fail("DNS name longer than 255 bytes");
    if (len == 0) {
      if (!jumped) offset = pos + 1;
      return name;
    }
    if (msg.size() - pos - 1 < len) return fail("DNS label runs past the message");
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < len; ++i) {
      char c = static_cast<char>(msg[pos + 1 + i]);
      if (c == '.' || c == '\0') return fail("DNS label contains a dot or NUL");
      name += c;
    }
    pos += len + 1u;
  }
}

Result<Message> parse_message(std::span<const std::uint8_t> msg) {
  auto h = parse_header(msg);
  if (!h) return unexpected(std::move(h).error());
  Message m;
  m.header = *h;
  std::size_t off = kHeaderSize;
  std::size_t records = std::size_t{h->ancount} + h->nscount + h->arcount;
  // Reject impossible counts before reserving anything for them.
  if (h->qdcount * kMinQuestion + records * kMinRecord > msg.size() - off)
    return fail("DNS section counts exceed the message size");
  for (std::size_t i = 0; i < h->qdcount; ++i) {
    auto name = read_name(msg, off);
    if (!name) return unexpected(std::move(name).error());
    if (msg.size() - off < 4) return fail("DNS question runs past the message");
    m.questions.push_back(Question{std::move(*name), be16(msg, off), be16(msg, off + 2)});
    off += 4;
  }
  STACK_TRY(read_records(msg, off, h->ancount, m.answers));
  STACK_TRY(read_records(msg, off, h->nscount, m.authority));
  STACK_TRY(read_records(msg, off, h->arcount, m.additional));
  return m;
}

std::string canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::uint8_t> build_query(std::uint16_t id, std::string_view name, std::uint16_t type, bool with_edns) {
  std::vector<std::uint8_t> out;
  put_header(out, Header{id, 0x0100, 1, 0, 0, static_cast<std::uint16_t>(with_edns ? 1 : 0)});
  if (name.ends_with('.')) name.remove_suffix(1);
  put_name(out, name);
  put16(out, type);
  put16(out, kClassIN);
  if (with_edns) {
    out.push_back(0);
    put16(out, kTypeOPT);
    put16(out, kMaxUdpEdns);
    put32(out, 0);
    put16(out, 0);
  }
  return out;
}

std::vector<std::uint8_t> build_response(const Message& query, Rcode rcode, std::span<const in_addr> addresses,
                                         std::uint32_t ttl, std::size_t max_size) {
  const Question& q = query.questions.at(0);
  bool edns = query.edns_udp_size() != 0;
  std::vector<std::uint8_t> out;
  Header h;
  h.id = query.header.id;
  // QR, the query's opcode and RD, AA (we own these names), RA (we forward the rest).
  h.flags = static_cast<std::uint16_t>(0x8000 | (query.header.flags & 0x7900) | 0x0400 | 0x0080 |
                                       static_cast<std::uint16_t>(rcode));
  h.qdcount = 1;
  h.arcount = edns ? 1 : 0;
  put_header(out, h);
  put_name(out, q.name);
  put16(out, q.type);
  put16(out, q.klass);
  constexpr std::size_t kAnswerSize = 16;  // pointer, type, class, ttl, rdlength, 4 bytes
  const std::size_t opt_size = edns ? 11 : 0;
  std::uint16_t count = 0;
  for (const in_addr& a : addresses) {
    if (out.size() + kAnswerSize + opt_size > max_size) {
      out[2] |= 0x02;  // TC
      break;
    }
    put16(out, 0xC000 | kHeaderSize);  // the question's name
    put16(out, kTypeA);
    put16(out, kClassIN);
    put32(out, ttl);
    put16(out, 4);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&a.s_addr);  // network order
    out.insert(out.end(), b, b + 4);
    ++count;
  }
  out[6] = static_cast<std::uint8_t>(count >> 8);
  out[7] = static_cast<std::uint8_t>(count & 0xFF);
  if (edns) {
    out.push_back(0);
    put16(out, kTypeOPT);
    put16(out, kMaxUdpEdns);
    put32(out, 0);
    put16(out, 0);
  }
  return out;
}

std::vector<std::uint8_t> build_header_only(const Header& query, Rcode rcode) {
  std::vector<std::uint8_t> out;
  Header h;
  h.id = query.id;
  h.flags = static_cast<std::uint16_t>(0x8000 | (query.flags & 0x7900) | 0x0080 | static_cast<std::uint16_t>(rcode));
  put_header(out, h);
  return out;
}

void set_id(std::span<std::uint8_t> msg, std::uint16_t id) {
  if (msg.size() < 2) return;
  msg[0] = static_cast<std::uint8_t>(id >> 8);
  msg[1] = static_cast<std::uint8_t>(id & 0xFF);
}

}  // namespace stack::net::dns
