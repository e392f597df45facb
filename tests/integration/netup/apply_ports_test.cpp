// Published ports across a later `up` and over replicas: a second up binds the ports
// of services it adds and closes those of services it removes; a port taken on the host
// fails that up before anything stops or starts; a container-port-only entry gives each
// replica its own host port (`stack port --index N`, Publishers); a fixed host port is
// balanced over the running replicas, skipping a stopped one, and follows --scale.
// Also `stack run` with extra_hosts' host-gateway. Traffic only to 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <map>

#include "tests/integration/netup/netup_fixture.hpp"

using netup::run;

namespace {

struct Sock {
  int fd = -1;
  ~Sock() {
    if (fd >= 0) ::close(fd);
  }
};

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A port no socket holds now (the kernel's pick, released).
int free_port() {
  Sock s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto a = loopback(0);
  socklen_t len = sizeof a;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

// The body of GET / from 127.0.0.1:port (its last line), "" if nothing answers in 2 s.
std::string get_once(int port) {
  Sock s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  timeval tv{2, 0};
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto a = loopback(port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  std::string req = "GET / HTTP/1.0\r\n\r\n", out;
  if (::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return "";
  char buf[4096];
  for (ssize_t n; (n = ::recv(s.fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  if (out.rfind("HTTP/1.", 0) != 0) return "";
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

// GET until something answers (the httpd may still be starting), up to 10 s.
std::string get(int port) {
  for (int i = 0; i < 100; ++i) {
    auto body = get_once(port);
    if (!body.empty()) return body;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

bool refused(int port) {
  Sock s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto a = loopback(port);
  return ::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == ECONNREFUSED;
}

// `stack port` output "127.0.0.1:PORT" -> PORT; 0 if none.
int port_of(const stack::testing::RunResult& r) {
  auto colon = r.out.rfind(':');
  return r.status == 0 && colon != std::string::npos ? std::atoi(r.out.c_str() + colon + 1) : 0;
}

std::string web(const std::string& name, const std::string& ports) {
  return "  " + name + ":\n    image: busybox:nu\n    command: " + netup::httpd("from-" + name) + "\n    ports: [" + ports +
         "]\n";
}

}  // namespace

TEST_CASE("a later up binds the ports of new services, closes those of removed ones, refuses a taken port", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("ap");
  int pa = free_port(), pb = free_port(), pc = free_port();
  REQUIRE(pa * pb * pc != 0);
  std::string a = web("a", "\"127.0.0.1:" + std::to_string(pa) + ":80\"");
  std::string b = web("b", "\"127.0.0.1:" + std::to_string(pb) + ":80\"");
  fx.write(p, "services:\n" + a);
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(get(pa) == "from-a");
  int a_pid = fx.container(p, "a").value("Pid", 0);

  fx.write(p, "services:\n" + a + b);
  up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(get(pb) == "from-b");
  CHECK(get(pa) == "from-a");
  CHECK(port_of(run(fx.cmd(p, "port b 80"))) == pb);

  // A port taken on the host: the up fails naming service and port, nothing changes.
  Sock taken{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  auto ta = loopback(pc);
  REQUIRE(::bind(taken.fd, reinterpret_cast<sockaddr*>(&ta), sizeof ta) == 0);
  REQUIRE(::listen(taken.fd, 1) == 0);
  fx.write(p, "services:\n" + a + b + web("c", "\"127.0.0.1:" + std::to_string(pc) + ":80\""));
  auto bad = run(fx.cmd(p, "up -d"));
  INFO(bad.out);
  CHECK(bad.status != 0);
  CHECK(bad.out.find("port 127.0.0.1:" + std::to_string(pc) + "/tcp for service c is already in use") !=
        std::string::npos);
  CHECK(fx.container(p, "c").is_object());
  CHECK(fx.container(p, "c").empty());
  CHECK(fx.container(p, "a").value("Pid", 0) == a_pid);  // not recreated
  CHECK(get(pa) == "from-a");
  ::close(taken.fd);
  taken.fd = -1;

  // b leaves the file: its port closes with it; a keeps serving.
  fx.write(p, "services:\n" + a);
  up = run(fx.cmd(p, "up -d --remove-orphans"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(refused(pb));
  CHECK(get(pa) == "from-a");
  CHECK(fx.container(p, "a").value("Pid", 0) == a_pid);
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("replicas: each gets its own port for \"80\"; a fixed port is balanced over the running ones", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("rp");
  int fixed = free_port();
  REQUIRE(fixed != 0);
  // Each replica answers with its hostname (its container name) on 80 and 8080.
  auto file = [&](int replicas) {
    return std::string(R"Y(
services:
  web:
    image: busybox:nu
    deploy: {replicas: )Y") + std::to_string(replicas) + R"Y(}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && httpd -p 8080 -h /www && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80", "127.0.0.1:)Y" + std::to_string(fixed) + R"Y(:8080"]
)Y";
  };
  fx.write(p, file(3));
  auto up = run(fx.cmd(p, "up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  auto name = [&](int n) { return p + "-web-" + std::to_string(n); };

  std::map<int, int> own;  // replica -> its host port for 80
  for (int n = 1; n <= 3; ++n) {
    auto r = run(fx.cmd(p, "port web 80 --index " + std::to_string(n)));
    INFO(r.out);
    own[n] = port_of(r);
    CHECK(own[n] > 0);
    CHECK(get(own[n]) == name(n));
  }
  CHECK(own[1] != own[2]);
  CHECK(own[2] != own[3]);
  CHECK(own[1] != own[3]);
  for (const auto& c : fx.ps(p)) {
    INFO(c.dump());
    int n = std::atoi(c.value("Name", "").substr(name(0).size() - 1).c_str());
    std::set<int> published;
    for (const auto& pub : c["Publishers"]) published.insert(pub.value("PublishedPort", 0));
    CHECK(published == std::set<int>{own[n], fixed});
  }

  // The fixed port: round robin over the three.
  std::map<std::string, int> seen;
  for (int i = 0; i < 6; ++i) ++seen[get(fixed)];
  CHECK(seen == std::map<std::string, int>{{name(1), 2}, {name(2), 2}, {name(3), 2}});

  // Replica 2 stops (killed, no restart policy): skipped, its own port answers no more.
  int pid2 = 0;
  for (const auto& c : fx.ps(p))
    if (c.value("Name", "") == name(2)) pid2 = c.value("Pid", 0);
  REQUIRE(pid2 > 0);
  REQUIRE(::kill(pid2, SIGKILL) == 0);
  for (int i = 0; i < 100; ++i) {
    bool exited = false;
    for (const auto& c : fx.ps(p)) exited = exited || (c.value("Name", "") == name(2) && c.value("State", "") == "exited");
    if (exited) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  seen.clear();
  for (int i = 0; i < 6; ++i) ++seen[get(fixed)];
  // 3 and 3 when every request is answered at once; a retried one (get() retries a
  // failed request, and the retry is the next replica's turn: seen once in CI at load)
  // shifts a turn, so: only 1 and 3, each at least twice.
  std::string saw;
  for (const auto& [k, v] : seen) saw += k + "=" + std::to_string(v) + " ";
  INFO("answered by: " << saw);
  CHECK(seen.size() == 2);
  CHECK(seen[name(1)] >= 2);
  CHECK(seen[name(3)] >= 2);
  CHECK(get_once(own[2]) == "");

  // --scale 4: the exited replica is made afresh, replica 4 gets a port of its own, and
  // the fixed port reaches all four; down to 2: the ports of 3 and 4 close.
  up = run(fx.cmd(p, "up -d --scale web=4"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  int own4 = port_of(run(fx.cmd(p, "port web 80 --index 4")));
  CHECK(own4 > 0);
  CHECK(get(own4) == name(4));
  CHECK(get(own[2]) == name(2));
  seen.clear();
  for (int i = 0; i < 8; ++i) ++seen[get(fixed)];
  CHECK(seen == std::map<std::string, int>{{name(1), 2}, {name(2), 2}, {name(3), 2}, {name(4), 2}});
  up = run(fx.cmd(p, "up -d --scale web=2"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(refused(own[3]));
  CHECK(refused(own4));
  CHECK(port_of(run(fx.cmd(p, "port web 80 --index 1"))) == own[1]);
  seen.clear();
  for (int i = 0; i < 4; ++i) ++seen[get(fixed)];
  CHECK(seen == std::map<std::string, int>{{name(1), 2}, {name(2), 2}});
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(refused(fixed));
  CHECK(fx.leftovers() == "");
}

TEST_CASE("stack run: extra_hosts host-gateway is its network's gateway, as in up", "[netup]") {
  netup::Fixture fx;
  std::string p = fx.project("rn");
  fx.write(p, R"Y(
services:
  q:
    image: busybox:nu
    extra_hosts: ["hostgw=host-gateway", "fixed=10.1.2.3"]
    dns_search: [example.test]
)Y");
  // The run starts the stack's supervisor (its network) and joins the network.
  auto r = run(fx.cmd(p, "run --rm q cat /etc/hosts /etc/resolv.conf"));
  INFO(r.out);
  CHECK(r.status == 0);
  std::string gw = fx.gateway(p + "_default");
  REQUIRE(!gw.empty());
  CHECK(r.out.find(gw.substr(0, gw.size() - 1) + "\thostgw\n") != std::string::npos);
  CHECK(r.out.find("10.1.2.3\tfixed\n") != std::string::npos);
  CHECK(r.out.find("search example.test\n") != std::string::npos);
  fx.track();
  CHECK(run(fx.cmd(p, "down")).status == 0);
  CHECK(fx.leftovers() == "");
}
