// Published UDP ports and `stack port`, port ranges and expose; network_mode none,
// service:NAME and host; upstream DNS forwarding (to a tiny answerer this test runs on
// a loopback address), dns_search, dns_opt, extra_hosts with host-gateway, hostname
// and domainname. Traffic goes only to loopback and into the stacks' own netns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <map>
#include <memory>

#include "network/netns.hpp"
#include "tests/integration/netup/netup_fixture.hpp"

using netup::run;

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A UDP socket bound to ip:port; -1 on failure.
int udp_bound(const std::string& ip, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A UDP socket bound to 0.0.0.0:port in the netns of pid; -1 on failure.
int udp_bound_in(int pid, uint16_t port) {
  auto ns = stack::net::Netns::of_pid(pid);
  int fd = -1;
  if (ns)
    (void)stack::net::run_in_netns(*ns, [&]() -> stack::Result<void> {
      fd = udp_bound("0.0.0.0", port);
      return {};
    });
  return fd;
}

// Serves datagrams on fd until stop: answer(datagram) is sent back to its sender.
template <class F>
std::thread serve(int fd, std::atomic<bool>& stop, F answer) {
  return std::thread([fd, &stop, answer] {
    while (!stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      unsigned char buf[1500];
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      std::string reply = answer(std::string(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n)));
      if (!reply.empty()) ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  });
}

// An A answer (198.51.100.7, TTL 60) to any standard query: header with QR, RD, RA.
std::string dns_answer(const std::string& q) {
  if (q.size() < 12) return "";
  std::string r = q;
  r[2] = static_cast<char>(0x81), r[3] = static_cast<char>(0x80);
  r[6] = 0, r[7] = 1, r[8] = r[9] = r[10] = r[11] = 0;  // one answer, nothing else
  r.resize(q.size());
  // Cut an EDNS OPT record off: the question ends 4 bytes after its name.
  std::size_t i = 12;
  while (i < r.size() && r[i] != 0) i += static_cast<unsigned char>(r[i]) + 1;
  r.resize(std::min(r.size(), i + 5));
  const unsigned char answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7};
  return r + std::string(reinterpret_cast<const char*>(answer), sizeof answer);
}

std::string udp_ask(uint16_t port, const std::string& text) {
  Fd s{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 20; ++attempt) {
    ::sendto(s.fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, 250) <= 0) continue;
    char buf[1500];
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
  }
  return "";
}

}  // namespace

TEST_CASE("a published UDP port answers on 127.0.0.1 and stack port prints it", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("u");
  fx.write(p, std::string(R"Y(
services:
  echo:
    image: busybox:nu
    command: )Y") + netup::kIdle + R"Y(
    ports:
      - "127.0.0.1::5000/udp"
      - "127.0.0.1:47100-47199:80"
    expose: ["9000", "9100-9101/udp"]
)Y");
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(fx.track() == 2);
  auto c = fx.container(p, "echo");
  INFO(c.dump());
  // The backend: a UDP echo on port 5000 inside the container's own netns.
  int fd = udp_bound_in(c["Pid"].get<int>(), 5000);
  REQUIRE(fd >= 0);
  Fd owner{fd};
  std::atomic<bool> stop{false};
  auto echo = serve(fd, stop, [](const std::string& d) { return "echo:" + d; });

  auto port = run(fx.cmd(p, "port echo 5000 --protocol udp"));
  INFO(port.out);
  REQUIRE(port.status == 0);
  REQUIRE(port.out.rfind("127.0.0.1:", 0) == 0);
  int published = std::stoi(port.out.substr(10));
  CHECK(published > 0);
  CHECK(udp_ask(static_cast<uint16_t>(published), "ping-1") == "echo:ping-1");
  CHECK(udp_ask(static_cast<uint16_t>(published), "ping-2") == "echo:ping-2");
  stop = true;
  echo.join();

  // A range for one container port takes a free port of the range.
  auto tcp = run(fx.cmd(p, "port echo 80"));
  INFO(tcp.out);
  CHECK(tcp.status == 0);
  int tcp_port = tcp.out.size() > 10 ? std::stoi(tcp.out.substr(10)) : 0;
  CHECK(tcp_port >= 47100);
  CHECK(tcp_port <= 47199);
  auto missing = run(fx.cmd(p, "port echo 5000"));
  CHECK(missing.status == 1);
  CHECK(missing.out.find("no port 5000/tcp for container " + p + "-echo-1") != std::string::npos);
  CHECK(run(fx.cmd(p, "port echo 5000 --index 2")).status == 1);
  // expose: in Publishers without a host port.
  int exposed = 0;
  for (const auto& pub : c["Publishers"]) exposed += pub.value("PublishedPort", -1) == 0;
  CHECK(exposed == 3);
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("network_mode none, service:NAME and host", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("m");
  fx.write(p, std::string(R"Y(
services:
  web:
    image: busybox:nu
    command: )Y") + netup::httpd("from-web") + R"Y(
  nonet:
    image: busybox:nu
    network_mode: none
    command: ["sh", "-c", "echo links=$$(ip -o link | wc -l); ip -o link show lo | grep -q UP && echo lo=up"]
  side:
    image: busybox:nu
    network_mode: service:web
    command:
      - sh
      - -c
      - |
        )Y" + netup::kGet + R"Y(
        for i in $$(seq 50); do [ "$$(get 127.0.0.1)" = from-web ] && break; sleep 0.1; done
        echo "local=$$(get 127.0.0.1)"
        echo "eth0=$$(ip -o -4 addr show eth0 | awk '{print $$4}' | cut -d/ -f1)"
  onhost:
    image: busybox:nu
    network_mode: host
    command: ["sh", "-c", "echo netns=$$(readlink /proc/self/ns/net)"]
)Y");
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(fx.track() == 2);  // the default bridge and web's veth: side shares web's
  auto nonet = fx.logs_when_exited(p, "nonet");
  INFO(nonet);
  CHECK(netup::value_of(nonet, "links") == "1");
  CHECK(netup::value_of(nonet, "lo") == "up");
  auto side = fx.logs_when_exited(p, "side");
  INFO(side);
  CHECK(netup::value_of(side, "local") == "from-web");
  CHECK(netup::value_of(side, "eth0") + "\n" == fx.leased(p + "_default", p + "-web-1"));
  auto onhost = fx.logs_when_exited(p, "onhost");
  CHECK(netup::value_of(onhost, "netns") + "\n" == run("readlink /proc/self/ns/net").out);
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("unknown names go upstream; dns options, extra_hosts, hostname, domainname", "[netup]") {
  netup::Fixture fx;
  // The answerer: a loopback address of its own, port 53, on the host.
  std::string upstream = "127.54." + std::to_string(::getpid() % 250) + ".1";
  Fd dns{udp_bound(upstream, 53)};
  if (dns.fd < 0) stack::testing::skip("cannot bind " + upstream + ":53");
  std::atomic<bool> stop{false};
  std::atomic<int> asked{0};
  auto answerer = serve(dns.fd, stop, [&asked](const std::string& q) {
    ++asked;
    return dns_answer(q);
  });
  std::string p = fx.project("d");
  fx.write(p, std::string(R"Y(
services:
  q:
    image: busybox:nu
    hostname: qhost
    domainname: example.test
    dns: [)Y") + upstream + R"Y(]
    dns_search: [example.test, corp.test]
    dns_opt: ["timeout:1"]
    extra_hosts: ["hostgw=host-gateway", "fixed=10.1.2.3"]
    command:
      - sh
      - -c
      - |
        nslookup -timeout=2 outside.example 2>&1 | grep -q 198.51.100.7 && echo "upstream=ok"
        echo "domain=$$(cat /proc/sys/kernel/domainname)"
        echo "hostname=$$(hostname)"
        cat /etc/resolv.conf /etc/hosts
)Y");
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  fx.track();
  auto out = fx.logs_when_exited(p, "q");
  INFO(out);
  stop = true;
  answerer.join();
  CHECK(netup::value_of(out, "upstream") == "ok");
  CHECK(asked > 0);
  CHECK(netup::value_of(out, "domain") == "example.test");
  CHECK(netup::value_of(out, "hostname") == "qhost");
  std::string gw = fx.gateway(p + "_default"), ip = fx.leased(p + "_default", p + "-q-1");
  REQUIRE(!gw.empty());
  REQUIRE(!ip.empty());
  gw.pop_back(), ip.pop_back();
  CHECK(out.find("nameserver " + gw + "\n") != std::string::npos);
  CHECK(out.find("search example.test corp.test\n") != std::string::npos);
  CHECK(out.find("options ndots:0 timeout:1\n") != std::string::npos);
  CHECK(out.find(gw + "\thostgw\n") != std::string::npos);
  CHECK(out.find("10.1.2.3\tfixed\n") != std::string::npos);
  CHECK(out.find(ip + "\tqhost.example.test qhost q " + p + "-q-1\n") != std::string::npos);
  CHECK(out.find("127.0.1.1") == std::string::npos);
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("a fixed UDP port is balanced over the replicas, one replica per client flow", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("ur");
  int port = 0;
  {
    Fd probe{udp_bound("127.0.0.1", 0)};
    sockaddr_in a{};
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(probe.fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  fx.write(p, std::string(R"Y(
services:
  echo:
    image: busybox:nu
    deploy: {replicas: 2}
    command: )Y") + netup::kIdle + R"Y(
    ports: ["127.0.0.1:)Y" + std::to_string(port) + R"Y(:5000/udp"]
)Y");
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  // Each replica's backend: a UDP server on 5000 in its netns, answering with its index.
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Fd>> fds;
  std::vector<std::thread> servers;
  for (int n = 1; n <= 2; ++n) {
    int pid = 0;
    for (const auto& c : fx.ps(p))
      if (c.value("Name", "") == p + "-echo-" + std::to_string(n)) pid = c.value("Pid", 0);
    REQUIRE(pid > 0);
    int fd = udp_bound_in(pid, 5000);
    REQUIRE(fd >= 0);
    fds.push_back(std::make_unique<Fd>());
    fds.back()->fd = fd;
    servers.push_back(serve(fd, stop, [n](const std::string&) { return "r" + std::to_string(n); }));
  }
  std::map<std::string, int> seen;
  for (int i = 0; i < 4; ++i) ++seen[udp_ask(static_cast<uint16_t>(port), "which")];  // a new client socket each
  stop = true;
  for (auto& t : servers) t.join();
  std::string got;
  for (const auto& [answer, count] : seen) got += "'" + answer + "': " + std::to_string(count) + " ";
  INFO(got);
  CHECK(seen == std::map<std::string, int>{{"r1", 2}, {"r2", 2}});
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}
