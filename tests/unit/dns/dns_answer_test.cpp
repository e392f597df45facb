#include "network/dns_answer.hpp"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>

#include "network/dns_upstream.hpp"

using namespace stack::net::dns;
using Bytes = std::vector<std::uint8_t>;

namespace {

in_addr ip(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return a;
}

Message reply_of(const Decision& d) {
  REQUIRE(d.kind == Decision::Kind::Reply);
  auto m = parse_message(d.reply);
  REQUIRE(m);
  return *m;
}

}  // namespace

TEST_CASE("the name table answers every name of an owner, case-insensitively", "[dns]") {
  NameTable t;
  t.set("proj-web-1", {"web", "proj-web-1", "Front", "front."}, {ip("10.89.0.2")});
  t.set("proj-web-2", {"web", "proj-web-2"}, {ip("10.89.0.3")});
  CHECK(t.lookup("WEB").size() == 2);
  CHECK(t.lookup("web.").size() == 2);
  CHECK(t.lookup("front").size() == 1);
  CHECK(t.lookup("proj-web-2")[0].s_addr == ip("10.89.0.3").s_addr);
  CHECK(t.lookup("db").empty());
  CHECK(t.remove("proj-web-1"));
  CHECK_FALSE(t.remove("proj-web-1"));
  CHECK(t.lookup("web").size() == 1);
  CHECK_FALSE(t.contains("front"));
  t.set("proj-web-2", {"other"}, {ip("10.89.0.9")});  // set replaces
  CHECK_FALSE(t.contains("web"));
  CHECK(t.owner_count() == 1);
}

TEST_CASE("decide: A, NODATA for AAAA, forward, FORMERR, drop", "[dns]") {
  NameTable t;
  t.set("c", {"web"}, {ip("10.0.0.2"), ip("10.0.0.3")});
  Message a = reply_of(decide(t, build_query(1, "Web", kTypeA), Transport::Udp, 5));
  CHECK(a.answers.size() == 2);
  CHECK(a.header.rcode() == Rcode::NoError);
  Message aaaa = reply_of(decide(t, build_query(2, "web", kTypeAAAA), Transport::Udp, 5));
  CHECK(aaaa.answers.empty());
  CHECK(aaaa.header.rcode() == Rcode::NoError);
  Decision fwd = decide(t, build_query(3, "example.org", kTypeA), Transport::Udp, 5);
  CHECK(fwd.kind == Decision::Kind::Forward);
  CHECK(fwd.query.questions.at(0).name == "example.org");

  Bytes response = build_query(4, "web", kTypeA);
  response[2] |= 0x80;  // QR: a response must never be answered
  CHECK(decide(t, response, Transport::Udp, 5).kind == Decision::Kind::Drop);
  CHECK(decide(t, Bytes{1, 2, 3}, Transport::Udp, 5).kind == Decision::Kind::Drop);
  Bytes bad = build_query(5, "web", kTypeA);
  bad.resize(bad.size() - 2);
  Message formerr = reply_of(decide(t, bad, Transport::Udp, 5));
  CHECK(formerr.header.rcode() == Rcode::FormErr);
  CHECK(formerr.header.id == 5);
  Bytes notimp = build_query(6, "web", kTypeA);
  notimp[2] |= 0x10;  // opcode 2 (status)
  CHECK(reply_of(decide(t, notimp, Transport::Udp, 5)).header.rcode() == Rcode::NotImp);
}

TEST_CASE("resolv.conf nameservers and upstream specs", "[dns]") {
  auto ns = parse_resolv_conf(
      "# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver ::1\n"
      "nameserver fe80::1%eth0\nnameserver bogus\noptions edns0\n");
  REQUIRE(ns.size() == 2);
  CHECK(ns[0].ss_family == AF_INET);
  CHECK(ns[1].ss_family == AF_INET6);
  auto p = parse_upstream("1.2.3.4:5353");
  REQUIRE(p);
  CHECK(ntohs(reinterpret_cast<sockaddr_in*>(&*p)->sin_port) == 5353);
  CHECK(parse_upstream("[::1]:54"));
  CHECK(parse_upstream("::1"));
  CHECK_FALSE(parse_upstream("1.2.3.4:0"));
  CHECK_FALSE(parse_upstream("name.example"));
}

TEST_CASE("host upstreams: systemd-resolved's stub is replaced by its real servers, as Docker does", "[dns]") {
  auto text = [](const std::vector<sockaddr_storage>& list) {
    std::string out;
    for (const auto& a : list) {
      char buf[INET6_ADDRSTRLEN] = "";
      if (a.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
      else
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
      out += std::string(buf) + " ";
    }
    return out;
  };
  const char* stub = "nameserver 127.0.0.53\noptions edns0 trust-ad\n";
  const char* real = "nameserver 10.0.0.2\nnameserver 127.0.0.1\nnameserver 2001:db8::1\n";
  CHECK(text(choose_host_upstreams(stub, real)) == "10.0.0.2 2001:db8::1 ");
  // Without the systemd file, or with only loopback in it, the stub stays: the forwarder
  // runs on the host, where it answers.
  CHECK(text(choose_host_upstreams(stub, "")) == "127.0.0.53 ");
  CHECK(text(choose_host_upstreams(stub, "nameserver 127.0.0.1\n")) == "127.0.0.53 ");
  // A real server next to a loopback one: the file is taken as it is.
  CHECK(text(choose_host_upstreams("nameserver 127.0.0.53\nnameserver 10.1.1.1\n", real)) == "127.0.0.53 10.1.1.1 ");
  CHECK(text(choose_host_upstreams("nameserver ::1\n", real)) == "10.0.0.2 2001:db8::1 ");
  CHECK(choose_host_upstreams("", real).empty());
  auto missing = read_host_upstreams("/nonexistent/resolv.conf", "/nonexistent/too");
  CHECK(missing.empty());
}

TEST_CASE("decide rotates a name's addresses", "[dns]") {
  NameTable t;
  t.set("c1", {"web"}, {ip("10.0.0.1")});
  t.set("c2", {"web"}, {ip("10.0.0.2")});
  t.set("c3", {"web"}, {ip("10.0.0.3")});
  Bytes q = build_query(1, "web", kTypeA);
  std::set<Bytes> firsts;
  for (std::size_t r = 0; r < 3; ++r) {
    Message m = reply_of(decide(t, q, Transport::Udp, 5, r));
    REQUIRE(m.answers.size() == 3);
    firsts.insert(m.answers[0].rdata);
  }
  CHECK(firsts.size() == 3);
}
