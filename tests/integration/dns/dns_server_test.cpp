// The embedded DNS server on a real loop and real loopback sockets (no root needed).
#include "network/dns_server.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <set>

#include "network/dns_message.hpp"
#include "tests/integration/dns/uv_test_loop.hpp"
#include "tests/support/testing.hpp"

using namespace stack;
using namespace stack::net;
using namespace stack::testing;
using Bytes = std::vector<std::uint8_t>;

namespace {

in_addr ip(const char* s) {
  in_addr a{};
  inet_pton(AF_INET, s, &a);
  return a;
}

std::string ip_text(const Bytes& rdata) {
  char buf[INET_ADDRSTRLEN] = "";
  if (rdata.size() == 4) inet_ntop(AF_INET, rdata.data(), buf, sizeof buf);
  return buf;
}

// One UDP exchange from a client thread; nullopt on timeout.
std::optional<Bytes> udp_exchange(std::uint16_t port, Bytes query, int timeout_ms = 3000) {
  UniqueFd fd = client_socket(SOCK_DGRAM, timeout_ms);
  sockaddr_in to = loopback(port);
  if (::sendto(fd.get(), query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
    return std::nullopt;
  Bytes buf(65536);
  ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

dns::Message ask(TestLoop& loop, std::uint16_t port, const std::string& name, std::uint16_t type,
                 std::uint16_t id = 0x4242) {
  auto reply = loop.run_with([=] { return udp_exchange(port, dns::build_query(id, name, type)); });
  REQUIRE(reply);
  auto m = dns::parse_message(*reply);
  REQUIRE(m);
  CHECK(m->header.id == id);
  return *m;
}

// A resolver on 127.0.0.1 for forwarding tests: "example.test" is 192.0.2.1, every
// other name is NXDOMAIN.
struct FakeUpstream {
  UvOwned<UvUdp> sock;
  int queries = 0;
  explicit FakeUpstream(uv_loop_t* loop) {
    sock = std::move(*UvUdp::create(loop));
    sockaddr_in any = loopback(0);
    REQUIRE(sock->bind(reinterpret_cast<sockaddr*>(&any)));
    REQUIRE(sock->recv_start([this](std::span<const std::uint8_t> data, const sockaddr* from) {
      auto q = dns::parse_message(data);
      if (!q || from == nullptr) return;
      ++queries;
      in_addr a = ip("192.0.2.1");
      bool known = dns::canonical_name(q->questions.at(0).name) == "example.test";
      auto r = known ? dns::build_response(*q, dns::Rcode::NoError, {&a, 1}, 300, 512)
                     : dns::build_response(*q, dns::Rcode::NxDomain, {}, 0, 512);
      (void)sock->send(r, from);
    }));
  }
  sockaddr_storage address() { return *sock->local_address(); }
};

std::unique_ptr<dns::Server> start_server(TestLoop& loop, std::vector<sockaddr_storage> upstreams = {},
                                          std::uint64_t timeout_ms = 2000, std::uint64_t tcp_idle_ms = 10000) {
  dns::ServerOptions o;
  o.tcp_idle_ms = tcp_idle_ms;
  auto listen = make_sockaddr("127.0.0.1", 0);
  o.listen = *listen;
  o.upstreams = std::move(upstreams);
  o.upstream_timeout_ms = timeout_ms;
  auto s = dns::Server::start(loop.get(), o);
  INFO((s ? "" : s.error().message));
  REQUIRE(s);
  return std::move(*s);
}

}  // namespace

TEST_CASE("A records for names with one and with three addresses, any case", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop);
  std::uint16_t port = port_of(server->udp_address());
  server->table().set("proj-db-1", {"db", "proj-db-1", "database"}, {ip("10.89.0.5")});
  server->table().set("proj-web-1", {"web", "proj-web-1"}, {ip("10.89.0.2")});
  server->table().set("proj-web-2", {"web", "proj-web-2"}, {ip("10.89.0.3")});
  server->table().set("proj-web-3", {"web", "proj-web-3"}, {ip("10.89.0.4")});

  auto one = ask(loop, port, "DataBase", dns::kTypeA);
  CHECK(one.header.rcode() == dns::Rcode::NoError);
  REQUIRE(one.answers.size() == 1);
  CHECK(ip_text(one.answers[0].rdata) == "10.89.0.5");
  CHECK(one.questions.at(0).name == "DataBase");  // the question is echoed as asked

  auto three = ask(loop, port, "WEB.", dns::kTypeA);
  REQUIRE(three.answers.size() == 3);
  std::set<std::string> got;
  for (const auto& a : three.answers) got.insert(ip_text(a.rdata));
  CHECK(got == std::set<std::string>{"10.89.0.2", "10.89.0.3", "10.89.0.4"});

  auto replica = ask(loop, port, "proj-web-2", dns::kTypeA);
  REQUIRE(replica.answers.size() == 1);
  CHECK(ip_text(replica.answers[0].rdata) == "10.89.0.3");

  // Updated at run time: a removed replica is gone from the next answer.
  server->table().remove("proj-web-2");
  CHECK(ask(loop, port, "web", dns::kTypeA).answers.size() == 2);
}

TEST_CASE("AAAA for a known name is NODATA", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop);
  server->table().set("c", {"web"}, {ip("10.89.0.2")});
  auto m = ask(loop, port_of(server->udp_address()), "web", dns::kTypeAAAA);
  CHECK(m.header.rcode() == dns::Rcode::NoError);
  CHECK(m.answers.empty());
}

TEST_CASE("unknown names are forwarded upstream; NXDOMAIN passes through", "[dns]") {
  TestLoop loop;
  FakeUpstream upstream(loop.get());
  auto server = start_server(loop, {upstream.address()});
  std::uint16_t port = port_of(server->udp_address());
  auto m = ask(loop, port, "Example.TEST", dns::kTypeA, 0x1111);
  CHECK(m.header.rcode() == dns::Rcode::NoError);
  REQUIRE(m.answers.size() == 1);
  CHECK(ip_text(m.answers[0].rdata) == "192.0.2.1");
  auto nx = ask(loop, port, "missing.test", dns::kTypeA, 0x2222);
  CHECK(nx.header.rcode() == dns::Rcode::NxDomain);
  CHECK(upstream.queries == 2);
  CHECK(server->table().owner_count() == 0);
}

TEST_CASE("failed upstreams give SERVFAIL; the next upstream is tried first", "[dns]") {
  TestLoop loop;
  FakeUpstream good(loop.get());
  // A port nobody listens on (ICMP port unreachable) and one that never answers.
  sockaddr_storage refused;
  {
    auto tmp = std::move(*UvUdp::create(loop.get()));
    sockaddr_in any = loopback(0);
    REQUIRE(tmp->bind(reinterpret_cast<sockaddr*>(&any)));
    refused = *tmp->local_address();
  }
  uv_drain_closes(loop.get());
  auto silent = std::move(*UvUdp::create(loop.get()));
  sockaddr_in any = loopback(0);
  REQUIRE(silent->bind(reinterpret_cast<sockaddr*>(&any)));
  sockaddr_storage silent_addr = *silent->local_address();

  auto failover = start_server(loop, {refused, silent_addr, good.address()}, 300);
  auto start = std::chrono::steady_clock::now();
  auto m = ask(loop, port_of(failover->udp_address()), "example.test", dns::kTypeA);
  CHECK(m.header.rcode() == dns::Rcode::NoError);
  CHECK(m.answers.size() == 1);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));  // the silent one timed out

  auto dead = start_server(loop, {refused, silent_addr}, 300);
  auto fail = ask(loop, port_of(dead->udp_address()), "example.test", dns::kTypeA);
  CHECK(fail.header.rcode() == dns::Rcode::ServFail);
  auto none = start_server(loop, {}, 300);
  CHECK(ask(loop, port_of(none->udp_address()), "example.test", dns::kTypeA).header.rcode() == dns::Rcode::ServFail);
}

TEST_CASE("a client with its own dns: servers is forwarded to them", "[dns]") {
  TestLoop loop;
  FakeUpstream host_resolver(loop.get());
  FakeUpstream own(loop.get());
  auto server = start_server(loop, {host_resolver.address()});
  std::uint16_t port = port_of(server->udp_address());
  server->set_client_upstreams(ip("127.0.0.1"), {own.address()});
  CHECK(ask(loop, port, "example.test", dns::kTypeA).answers.size() == 1);
  CHECK(own.queries == 1);
  CHECK(host_resolver.queries == 0);
  server->set_client_upstreams(ip("127.0.0.1"), {});
  CHECK(ask(loop, port, "example.test", dns::kTypeA).answers.size() == 1);
  CHECK(host_resolver.queries == 1);
}

TEST_CASE("a server destroyed while a forward is pending closes every handle", "[dns]") {
  TestLoop loop;
  auto silent = std::move(*UvUdp::create(loop.get()));
  sockaddr_in any = loopback(0);
  REQUIRE(silent->bind(reinterpret_cast<sockaddr*>(&any)));
  auto server = start_server(loop, {*silent->local_address()}, 5000);
  std::uint16_t port = port_of(server->udp_address());
  auto client = std::async(std::launch::async,
                           [port] { return udp_exchange(port, dns::build_query(9, "x.test", dns::kTypeA), 1000); });
  CHECK(loop.run_until([&] { return server->forwarding() == 1; }));
  server.reset();  // with the forward still pending
  silent.reset();
  CHECK_FALSE(client.get());  // no answer ever came
}

TEST_CASE("each network's server only sees its own names", "[dns]") {
  TestLoop loop;
  FakeUpstream upstream(loop.get());
  auto net_a = start_server(loop, {upstream.address()});
  auto net_b = start_server(loop, {upstream.address()});
  net_a->table().set("a-web-1", {"web"}, {ip("10.89.1.2")});
  net_b->table().set("b-web-1", {"web"}, {ip("10.89.2.2")});
  net_a->table().set("a-db-1", {"db"}, {ip("10.89.1.3")});
  auto a = ask(loop, port_of(net_a->udp_address()), "web", dns::kTypeA);
  auto b = ask(loop, port_of(net_b->udp_address()), "web", dns::kTypeA);
  REQUIRE(a.answers.size() == 1);
  REQUIRE(b.answers.size() == 1);
  CHECK(ip_text(a.answers[0].rdata) == "10.89.1.2");
  CHECK(ip_text(b.answers[0].rdata) == "10.89.2.2");
  // db exists only on network A: B forwards it, and upstream does not know it.
  CHECK(ask(loop, port_of(net_b->udp_address()), "db", dns::kTypeA).header.rcode() == dns::Rcode::NxDomain);
}

TEST_CASE("garbage is ignored or answered FORMERR, and the server keeps serving", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop);
  server->table().set("c", {"web"}, {ip("10.89.0.2")});
  std::uint16_t port = port_of(server->udp_address());
  auto replies = loop.run_with([port] {
    std::mt19937 rng(7);
    int answered = 0;
    UniqueFd fd = client_socket(SOCK_DGRAM, 50);
    sockaddr_in to = loopback(port);
    for (int i = 0; i < 500; ++i) {
      Bytes junk(rng() % 300);
      for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
      if (junk.size() > 2) junk[2] &= 0x7F;  // half of them look like queries
      ::sendto(fd.get(), junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    Bytes buf(1024);
    while (::recv(fd.get(), buf.data(), buf.size(), 0) > 0) ++answered;
    return answered;
  });
  CHECK(replies > 0);  // FORMERR for query-shaped junk
  auto m = ask(loop, port, "web", dns::kTypeA);
  CHECK(m.answers.size() == 1);
}

TEST_CASE("TCP carries answers too large for UDP", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop);
  std::vector<in_addr> many;
  for (int i = 1; i <= 100; ++i) many.push_back(ip(("10.89.3." + std::to_string(i)).c_str()));
  server->table().set("big", {"big"}, many);
  std::uint16_t port = port_of(server->udp_address());
  CHECK(port_of(server->tcp_address()) == port);
  auto udp = ask(loop, port, "big", dns::kTypeA);
  CHECK(udp.header.tc());
  auto reply = loop.run_with([port] {
    UniqueFd fd = client_socket(SOCK_STREAM);
    sockaddr_in to = loopback(port);
    Bytes out;
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return out;
    for (std::uint16_t id : {1, 2}) {  // two queries on one connection
      Bytes q = dns::build_query(id, "big", dns::kTypeA);
      Bytes framed{static_cast<std::uint8_t>(q.size() >> 8), static_cast<std::uint8_t>(q.size())};
      framed.insert(framed.end(), q.begin(), q.end());
      ::send(fd.get(), framed.data(), framed.size(), 0);
    }
    ::shutdown(fd.get(), SHUT_WR);
    Bytes buf(4096);
    ssize_t n;
    while ((n = ::recv(fd.get(), buf.data(), buf.size(), 0)) > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
    return out;
  });
  REQUIRE(reply.size() > 2);
  std::size_t len = (std::size_t{reply[0]} << 8) | reply[1];
  REQUIRE(reply.size() >= len + 2);
  auto m = dns::parse_message(std::span(reply).subspan(2, len));
  REQUIRE(m);
  CHECK_FALSE(m->header.tc());
  CHECK(m->answers.size() == 100);
  CHECK(reply.size() == 2 * (len + 2));  // both answered, then the server closed
  CHECK(server->tcp_connections() == 0);
}

TEST_CASE("TCP: a malformed message gets FORMERR and the connection keeps working", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop);
  server->table().set("c", {"web"}, {ip("10.89.0.2")});
  std::uint16_t port = port_of(server->tcp_address());
  auto replies = loop.run_with([port] {
    UniqueFd fd = client_socket(SOCK_STREAM);
    sockaddr_in to = loopback(port);
    std::vector<Bytes> out;
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) return out;
    Bytes junk{0xAB, 0xCD, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3F, 'x'};
    Bytes q = dns::build_query(3, "web", dns::kTypeA);
    Bytes stream;
    for (const Bytes* m : {&junk, &q}) {
      stream.push_back(static_cast<std::uint8_t>(m->size() >> 8));
      stream.push_back(static_cast<std::uint8_t>(m->size()));
      stream.insert(stream.end(), m->begin(), m->end());
    }
    ::send(fd.get(), stream.data(), stream.size(), 0);
    ::shutdown(fd.get(), SHUT_WR);
    Bytes all(4096);
    std::size_t got = 0;
    ssize_t n;
    while ((n = ::recv(fd.get(), all.data() + got, all.size() - got, 0)) > 0) got += static_cast<std::size_t>(n);
    for (std::size_t off = 0; off + 2 <= got;) {
      std::size_t len = (std::size_t{all[off]} << 8) | all[off + 1];
      if (off + 2 + len > got) break;
      out.emplace_back(all.begin() + static_cast<long>(off + 2), all.begin() + static_cast<long>(off + 2 + len));
      off += 2 + len;
    }
    return out;
  });
  REQUIRE(replies.size() == 2);
  auto formerr = dns::parse_message(replies[0]);
  REQUIRE(formerr);
  CHECK(formerr->header.id == 0xABCD);
  CHECK(formerr->header.rcode() == dns::Rcode::FormErr);
  auto answer = dns::parse_message(replies[1]);
  REQUIRE(answer);
  CHECK(answer->answers.size() == 1);
}

TEST_CASE("an idle TCP client is disconnected", "[dns]") {
  TestLoop loop;
  auto server = start_server(loop, {}, 2000, 200);
  std::uint16_t port = port_of(server->tcp_address());
  auto waited = loop.run_with([port] {
    UniqueFd fd = client_socket(SOCK_STREAM, 5000);
    sockaddr_in to = loopback(port);
    auto start = std::chrono::steady_clock::now();
    char c;
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0 || ::recv(fd.get(), &c, 1, 0) != 0)
      return std::chrono::steady_clock::duration(std::chrono::hours(1));
    return std::chrono::steady_clock::now() - start;
  });
  CHECK(waited >= std::chrono::milliseconds(150));
  CHECK(waited < std::chrono::seconds(3));
  CHECK(server->tcp_connections() == 0);
}

TEST_CASE("busybox nslookup resolves through the server", "[dns]") {
  if (run("busybox nslookup 2>&1 | head -1").out.find("BusyBox") == std::string::npos) skip("busybox is not installed");
  TestLoop loop;
  auto server = start_server(loop);
  server->table().set("c1", {"web"}, {ip("10.89.0.2")});
  server->table().set("c2", {"web"}, {ip("10.89.0.3")});
  std::string cmd = "busybox nslookup -type=a web 127.0.0.1:" + std::to_string(port_of(server->udp_address()));
  auto r = loop.run_with([cmd] { return run(cmd); });
  INFO(r.out);
  CHECK(r.out.find("10.89.0.2") != std::string::npos);
  CHECK(r.out.find("10.89.0.3") != std::string::npos);
}
