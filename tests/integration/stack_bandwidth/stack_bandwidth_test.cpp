// x-bandwidth through `stack up -d`: a service limited to 8mbit each way moves 4 MB in
// 4.0 s +- 15 %, an unlimited one (the service's limit lifted on its network) is at
// least 10x faster, the container's own NET_ADMIN does not lift the limit, a restarted
// container is limited again, a user network's entry shapes that network's link, a
// second `up` with new rates reshapes the running container (same pid, the transfer
// time follows), and `down` (also after kill -9 of the supervisor) leaves no qdisc,
// filter, ifb or link (by the links' hashed names, tests/support/stack_links.hpp). Traffic only between the containers and listeners the
// test opens on the stack's own bridge address (the containers' gateway).
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "network/bandwidth_apply.hpp"
#include "network/names.hpp"
#include "tests/support/stack_links.hpp"
#include "tests/support/testing.hpp"

using stack::testing::run;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBytes = 4'000'000;

// Each service serves kBytes over HTTP (busybox httpd, sendfile: the container's own
// CPU is no bottleneck) for the test to fetch (out of the container), and fetches
// kBytes from $PIN on its gateway (the address the test listens on), retrying until
// the listener is there (into the container). lim first tries to lift its limit from
// inside with its NET_ADMIN.
const char* kScript = R"(mkdir -p /tmp/www; dd if=/dev/zero of=/tmp/www/blob bs=4000 count=1000 2>/dev/null
httpd -f -p 8080 -h /tmp/www &
[ -n "$LIFT" ] && { tc qdisc del dev eth0 root; tc qdisc del dev eth0 ingress; tc qdisc add dev eth0 root tbf rate 10gbit burst 1mb latency 10ms; tc qdisc del dev eth0 root; } 2>/dev/null
gw=$(sed -n 's/^nameserver //p' /etc/resolv.conf)
until nc $gw $PIN </dev/null >/dev/null 2>&1; do sleep 0.05; done
echo fetched
trap 'exit 0' TERM; while :; do sleep 0.1; done)";

struct Fixture {
  stack::testing::TempDir tmp{"stack-sbw-" + std::to_string(::getpid())};
  std::string project = "sbw" + std::to_string(::getpid()) + "x";
  std::string root = tmp.path() + "/root", run_root = tmp.path() + "/run";
  std::string file = tmp.path() + "/stack.yaml";
  std::set<std::string> links;

  explicit Fixture(const std::string& services) {
    stack::testing::require_root();
    if (run("ip link add sbwprobe" + std::to_string(::getpid() % 100000) + " type ifb && ip link del sbwprobe" +
            std::to_string(::getpid() % 100000))
            .status != 0) {
      run("rm -rf " + tmp.path());  // skip() exits: no destructor runs
      stack::testing::skip("the kernel has no ifb devices (modprobe ifb)");
    }
    auto mk = run(stack::testing::source_dir() + "/tests/support/mkbusybox " + tmp.path() + "/layer");
    if (mk.status != 0) {
      run("rm -rf " + tmp.path());
      stack::testing::skip("mkbusybox failed: " + mk.out);
    }
    auto imp = run(stack::testing::stack_binary() + " --root " + root + " image import busybox:sbw " + tmp.path() + "/layer");
    INFO(imp.out);
    REQUIRE(imp.status == 0);
    rewrite(services);
  }
  // The stack file, and every link it could make, for the leak check.
  void rewrite(const std::string& services) {
    std::ofstream(file) << "name: " << project << "\nservices:\n" << services;
    auto names = stack::testing::possible_links(project, run(cmd("config --format json"), false).out);
    links.insert(names.begin(), names.end());
  }
  ~Fixture() {
    run(cmd("down -t 0") + " >/dev/null 2>&1");
    run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + project + "*' -exec rmdir {} \\; 2>/dev/null");
  }

  std::string cmd(const std::string& args) const {
    return stack::testing::stack_binary() + " --root " + root + " --run-root " + run_root + " -f " + file + " " + args;
  }
  std::string container(const std::string& service) const { return project + "-" + service + "-1"; }
  std::string host_end(const std::string& service, const std::string& network = "default") const {
    return stack::net::veth_name(container(service), project + "_" + network);
  }
  std::string bridge() const { return stack::net::bridge_name(project, "default"); }

  std::vector<nlohmann::json> ps() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(run(cmd("ps -a --format json"), false).out);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  // Links (veths with their qdiscs, ifbs, bridges) the stack files could have made, and
  // the stack's state.
  std::string leftovers() const {
    std::string out = stack::testing::existing_links(links);
    out += run("find /sys/fs/cgroup -type d -path '*/stack/" + project + "*' 2>/dev/null").out;
    out += run("ls -A " + run_root + "/stacks/" + project + " 2>&1 | grep -v 'No such file'").out;
    out += run("ls -A " + root + "/containers 2>/dev/null").out;
    return out;
  }
};

// Fetches from $PIN on its gateway again and again: one transfer per listener the test opens.
const char* kFetchLoop = R"(gw=$(sed -n 's/^nameserver //p' /etc/resolv.conf)
trap 'exit 0' TERM
while :; do nc $gw $PIN </dev/null >/dev/null 2>&1; sleep 0.05; done)";

std::string service(const std::string& name, int pin, const std::string& extra, bool lift = false,
                    const char* body = kScript) {
  std::string text;
  for (const char* c = body; *c; ++c) text += *c == '$' ? std::string("$$") : std::string(1, *c);  // no interpolation
  nlohmann::json script = text;  // a JSON string is a YAML double-quoted scalar
  return "  " + name + ":\n    image: busybox:sbw\n    command: [\"sh\", \"-c\", " + script.dump() +
         "]\n    environment: {PIN: \"" + std::to_string(pin) + "\"" +
         (lift ? ", LIFT: \"1\"" : "") + "}\n" + extra;
}

in_addr gateway_of(const Fixture& fx) {
  auto r = run("ip -4 -o addr show dev " + fx.bridge() + " | awk '{print $4}' | cut -d/ -f1", false);
  in_addr a{};
  std::string ip = r.out.substr(0, r.out.find('\n'));
  if (::inet_pton(AF_INET, ip.c_str(), &a) != 1) FAIL("no address on " << fx.bridge() << ": " << r.out);
  return a;
}

stack::UniqueFd listen_on(in_addr gw, int port) {
  stack::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.get() >= 0);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr = gw;
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  REQUIRE(::listen(fd.get(), 1) == 0);
  return fd;
}

stack::UniqueFd accept_within(const stack::UniqueFd& l, int ms) {
  pollfd p{l.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, ms) == 1);
  stack::UniqueFd c(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(c.get() >= 0);
  return c;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Into the container: from the accept until every byte is acknowledged by its kernel
// (the send queue, SIOCOUTQ, is empty). The container's address comes back too.
std::pair<double, in_addr> send_into(in_addr gw, int port) {
  auto l = listen_on(gw, port);
  auto c = accept_within(l, 20000);
  auto t0 = Clock::now();
  std::vector<char> buf(65536, 'x');
  for (std::size_t sent = 0; sent < kBytes;) {
    ssize_t n = ::send(c.get(), buf.data(), std::min(buf.size(), kBytes - sent), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  for (int outq = 1; outq > 0 && seconds_since(t0) < 20;) {
    REQUIRE(::ioctl(c.get(), SIOCOUTQ, &outq) == 0);
    if (outq > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  double t = seconds_since(t0);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  REQUIRE(::getpeername(c.get(), reinterpret_cast<sockaddr*>(&peer), &len) == 0);
  return {t, peer.sin_addr};
}

// Out of the container: GET /blob from its httpd, from the connect until its EOF.
double fetch_from(in_addr container) {
  stack::UniqueFd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(c.get() >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(8080);
  sa.sin_addr = container;
  auto t0 = Clock::now();
  REQUIRE(::connect(c.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  std::string get = "GET /blob HTTP/1.0\r\n\r\n";
  REQUIRE(::send(c.get(), get.data(), get.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get.size()));
  std::vector<char> buf(65536);
  std::string head;
  std::size_t got = 0;
  for (ssize_t n; (n = ::recv(c.get(), buf.data(), buf.size(), 0)) > 0;) {
    got += static_cast<std::size_t>(n);
    if (head.size() < 4096) head.append(buf.data(), static_cast<std::size_t>(std::min<ssize_t>(n, 4096)));
  }
  double t = seconds_since(t0);
  INFO(head.substr(0, head.find("\r\n")));
  REQUIRE(head.rfind("HTTP/1.", 0) == 0);
  REQUIRE(head.find("\r\n\r\n") != std::string::npos);
  CHECK(got - (head.find("\r\n\r\n") + 4) == kBytes);
  return t;
}

bool alive(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("x-bandwidth: 8mbit each way through up -d, unlimited much faster, down leaves nothing", "[bandwidth]") {
  Fixture fx(service("lim", 5001,
                     "    cap_add: [NET_ADMIN]\n    x-bandwidth: {egress: 8mbit, ingress: 8mbit}\n", true) +
             service("free", 5003,
                     "    x-bandwidth: {egress: 8mbit, ingress: 8mbit}\n"
                     "    networks:\n      default:\n        x-bandwidth: {}\n"));
  auto config = run(fx.cmd("config"), false);
  CHECK(config.out.find("egress: 8000000bit") != std::string::npos);
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);

  // Both directions of lim are shaped on the host side; free has nothing.
  std::string lim_qdiscs = run("tc qdisc show dev " + fx.host_end("lim")).out;
  INFO(lim_qdiscs);
  CHECK(lim_qdiscs.find("qdisc tbf 5346: root") != std::string::npos);
  CHECK(lim_qdiscs.find("rate 8Mbit") != std::string::npos);
  CHECK(lim_qdiscs.find("qdisc ingress ffff:") != std::string::npos);
  std::string ifb = stack::net::ifb_name(fx.host_end("lim"));
  CHECK(run("tc qdisc show dev " + ifb).out.find("qdisc tbf 5346: root") != std::string::npos);
  CHECK(run("tc qdisc show dev " + fx.host_end("free")).out.find("tbf") == std::string::npos);
  CHECK(run("ip -o link show dev " + stack::net::ifb_name(fx.host_end("free")) + " 2>&1").status != 0);

  in_addr gw = gateway_of(fx);
  auto [lim_in, lim_ip] = send_into(gw, 5001);
  double lim_out = fetch_from(lim_ip);
  auto [free_in, free_ip] = send_into(gw, 5003);
  double free_out = fetch_from(free_ip);
  WARN("4 MB at 8mbit: into the container " << lim_in << " s, out of it " << lim_out << " s; unlimited: " << free_in
                                             << " s, " << free_out << " s");
  CHECK(lim_in == Approx(4.0).epsilon(0.15));
  CHECK(lim_out == Approx(4.0).epsilon(0.15));
  CHECK(free_in * 10 < lim_in);
  CHECK(free_out * 10 < lim_out);
  // lim's NET_ADMIN only reached its own eth0.
  CHECK(run("tc qdisc show dev " + fx.host_end("lim")).out == lim_qdiscs);

  auto down = run(fx.cmd("down -t 1"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("x-bandwidth: a restarted container is limited again; down after kill -9 leaves nothing", "[bandwidth]") {
  Fixture fx(
      "  flap:\n    image: busybox:sbw\n    command: [\"sh\", \"-c\", \"sleep 1; exit 3\"]\n    restart: always\n"
      "    x-bandwidth: {egress: 2mbit, ingress: 3mbit, burst: 64kb}\n"
      "  steady:\n    image: busybox:sbw\n    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while :; do sleep 0.1; done\"]\n"
      "    x-bandwidth: {ingress: 1mbit}\n");
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(run("ip -o link show dev " + stack::net::ifb_name(fx.host_end("steady")) + " 2>&1").status != 0);  // ingress only
  CHECK(run("tc qdisc show dev " + fx.host_end("steady")).out.find("rate 1Mbit") != std::string::npos);

  // After a restart the new pair carries the limits again (the ifb is reused by name).
  std::string seen;
  for (int i = 0; i < 100; ++i) {
    nlohmann::json flap;
    for (const auto& c : fx.ps())
      if (c.value("Service", "") == "flap") flap = c;
    if (flap.value("RestartCount", 0) >= 1 && flap.value("State", "") == "running") {
      seen = run("tc qdisc show dev " + fx.host_end("flap") + "; tc qdisc show dev " +
                 stack::net::ifb_name(fx.host_end("flap")))
                 .out;
      if (seen.find("rate 3Mbit") != std::string::npos && seen.find("rate 2Mbit") != std::string::npos) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(seen);
  CHECK(seen.find("rate 3Mbit") != std::string::npos);
  CHECK(seen.find("rate 2Mbit") != std::string::npos);

  int sup = 0;
  std::ifstream(fx.run_root + "/stacks/" + fx.project + "/supervisor.pid") >> sup;
  REQUIRE(alive(sup));
  REQUIRE(::kill(sup, SIGKILL) == 0);
  for (int i = 0; i < 100 && run("test -d /proc/" + std::to_string(sup) + " && ! grep -q zombie /proc/" +
                                 std::to_string(sup) + "/status 2>/dev/null")
                                     .status == 0;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto down = run(fx.cmd("down -t 0"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("x-bandwidth: a user network's entry shapes its link; a second up reshapes in place", "[bandwidth]") {
  auto file = [](const std::string& service_bw, const std::string& side_bw) {
    return service("lim", 5005,
                   "    x-bandwidth: " + service_bw + "\n    networks:\n      default: {}\n      side:\n        x-bandwidth: " +
                       side_bw + "\n",
                   false, kFetchLoop) +
           "networks:\n  side: {}\n";
  };
  Fixture fx(file("{ingress: 8mbit}", "{ingress: 2mbit, egress: 3mbit}"));
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  std::string side = fx.host_end("lim", "side"), side_ifb = stack::net::ifb_name(side);
  auto qdiscs = [&] {
    return run("tc qdisc show dev " + fx.host_end("lim") + "; echo side:; tc qdisc show dev " + side +
                   "; echo side-ifb:; tc qdisc show dev " + side_ifb + " 2>&1",
               false)
        .out;
  };
  std::string before = qdiscs();
  INFO(before);
  CHECK(before.find("rate 8Mbit") < before.find("side:"));
  CHECK(before.find("rate 2Mbit") > before.find("side:"));
  CHECK(before.find("rate 3Mbit") > before.find("side-ifb:"));
  int pid = 0;
  for (const auto& c : fx.ps()) pid = c.value("Pid", 0);
  REQUIRE(pid > 0);
  in_addr gw = gateway_of(fx);
  double at8 = send_into(gw, 5005).first;

  fx.rewrite(file("{ingress: 16mbit}", "{ingress: 4mbit}"));
  up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  CHECK(up.out.find("Running") != std::string::npos);
  CHECK(up.out.find("Recreated") == std::string::npos);
  int pid_after = 0;
  for (const auto& c : fx.ps()) pid_after = c.value("Pid", 0);
  CHECK(pid_after == pid);
  std::string after = qdiscs();
  INFO(after);
  CHECK(after.find("rate 16Mbit") < after.find("side:"));
  CHECK(after.find("rate 4Mbit") > after.find("side:"));
  CHECK(after.find("rate 4Mbit") < after.find("side-ifb:"));
  CHECK(run("ip -o link show dev " + side_ifb + " 2>&1").status != 0);  // egress lifted: its ifb went
  // stats shows what the kernel enforces, per link: eth0 (default), eth1 (side).
  auto stats = run(fx.cmd("stats --no-stream --format json"), false);
  INFO(stats.out);
  CHECK(stats.out.find("\"NetLimit\":\"16mbit / -, 4mbit / -\"") != std::string::npos);
  double at16 = send_into(gw, 5005).first;
  WARN("4 MB into the container: " << at8 << " s at 8mbit, " << at16 << " s after up changed it to 16mbit");
  CHECK(at8 == Approx(4.0).epsilon(0.15));
  CHECK(at16 == Approx(2.0).epsilon(0.15));

  auto down = run(fx.cmd("down -t 1"));
  INFO(down.out);
  CHECK(down.status == 0);
  CHECK(fx.leftovers() == "");
}
