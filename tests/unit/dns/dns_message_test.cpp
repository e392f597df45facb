#include "network/dns_message.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "network/dns_answer.hpp"

using namespace stack::net::dns;
using Bytes = std::vector<std::uint8_t>;

namespace {

in_addr ip(const char* s) {
  in_addr a{};
  REQUIRE(inet_pton(AF_INET, s, &a) == 1);
  return a;
}

}  // namespace

TEST_CASE("a query round-trips through build and parse", "[dns]") {
  Bytes q = build_query(0x1234, "Web.Example.", kTypeA);
  auto m = parse_message(q);
  REQUIRE(m);
  CHECK(m->header.id == 0x1234);
  CHECK(m->header.rd());
  CHECK_FALSE(m->header.qr());
  REQUIRE(m->questions.size() == 1);
  CHECK(m->questions[0].name == "Web.Example");
  CHECK(m->questions[0].type == kTypeA);
  CHECK(m->edns_udp_size() == 0);
  CHECK(parse_message(build_query(1, "x", kTypeA, true))->edns_udp_size() == kMaxUdpEdns);
}

TEST_CASE("a response carries every address with a compressed name", "[dns]") {
  auto q = parse_message(build_query(7, "db", kTypeA));
  REQUIRE(q);
  std::vector<in_addr> addrs{ip("10.89.0.2"), ip("10.89.0.3"), ip("10.89.0.4")};
  Bytes r = build_response(*q, Rcode::NoError, addrs, 10, kMaxUdpPlain);
  auto m = parse_message(r);
  REQUIRE(m);
  CHECK(m->header.qr());
  CHECK(m->header.id == 7);
  CHECK(m->header.rcode() == Rcode::NoError);
  CHECK_FALSE(m->header.tc());
  REQUIRE(m->answers.size() == 3);
  CHECK(m->answers[0].name == "db");
  CHECK(m->answers[2].ttl == 10);
  CHECK(m->answers[1].rdata == Bytes{10, 89, 0, 3});
}

TEST_CASE("answers beyond the size limit are left out with TC set", "[dns]") {
  auto q = parse_message(build_query(7, "many", kTypeA));
  std::vector<in_addr> addrs(100, ip("10.0.0.1"));
  Bytes r = build_response(*q, Rcode::NoError, addrs, 10, kMaxUdpPlain);
  CHECK(r.size() <= kMaxUdpPlain);
  auto m = parse_message(r);
  REQUIRE(m);
  CHECK(m->header.tc());
  CHECK(m->answers.size() < 100);
  CHECK(m->answers.size() > 20);
  CHECK(parse_message(build_response(*q, Rcode::NoError, addrs, 10, kMaxTcp))->answers.size() == 100);
}

TEST_CASE("compression pointers: backwards works, loops and forward pointers fail", "[dns]") {
  // header, then "a" at 12, then a name "b" + pointer to 12 at 15.
  Bytes m{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 1, 'b', 0xC0, 12};
  std::size_t off = 15;
  auto n = read_name(m, off);
  REQUIRE(n);
  CHECK(*n == "b.a");
  CHECK(off == m.size());

  Bytes self{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 12};
  off = 12;
  CHECK_FALSE(read_name(self, off));
  // A label followed by a pointer back to itself: a loop that only the length cap ends.
  Bytes loop{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'x', 0xC0, 12};
  off = 12;
  CHECK_FALSE(read_name(loop, off));
  Bytes fwd{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xC0, 14, 0};
  off = 12;
  CHECK_FALSE(read_name(fwd, off));
}

TEST_CASE("truncated packets and impossible counts fail cleanly", "[dns]") {
  Bytes q = build_query(9, "service.name", kTypeA);
  for (std::size_t n = 0; n < q.size(); ++n)
    CHECK_FALSE(parse_message(Bytes(q.begin(), q.begin() + static_cast<long>(n))));
  Bytes counts = q;
  counts[4] = 0xFF;  // qdcount 65280
  CHECK_FALSE(parse_message(counts));
  counts = q;
  counts[10] = 0xFF;  // arcount
  CHECK_FALSE(parse_message(counts));
  Bytes long_label = build_query(1, "x", kTypeA);
  long_label[12] = 0x7F;  // reserved label type 01
  CHECK_FALSE(parse_message(long_label));
}

TEST_CASE("names longer than 255 bytes are refused", "[dns]") {
  Bytes m(12, 0);
  m[5] = 1;
  for (int i = 0; i < 5; ++i) {
    m.push_back(63);
    m.insert(m.end(), 63, 'a');
  }
  m.push_back(0);
  m.insert(m.end(), {0, 1, 0, 1});
  CHECK_FALSE(parse_message(m));
}

TEST_CASE("random and mutated packets never crash the parser or the responder", "[dns][fuzz]") {
  std::mt19937 rng(12345);
  NameTable table;
  table.set("c1", {"web"}, {ip("10.0.0.2")});
  Bytes seed = build_query(1, "web", kTypeA, true);
  std::size_t parsed = 0;
  for (int i = 0; i < 200000; ++i) {
    Bytes p;
    if (i % 2 == 0) {
      p.resize(rng() % 80);
      for (auto& b : p) b = static_cast<std::uint8_t>(rng());
    } else {
      p = seed;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
      if (rng() % 3 == 0) p.resize(rng() % (p.size() + 1));
    }
    auto m = parse_message(p);
    if (m) ++parsed;
    Decision d = decide(table, p, Transport::Udp, 10);
    if (d.kind == Decision::Kind::Reply) {
      CHECK(d.reply.size() <= kMaxUdpEdns);
      REQUIRE(parse_header(d.reply));
    }
  }
  CHECK(parsed > 0);  // the mutations do reach the deeper code
}
