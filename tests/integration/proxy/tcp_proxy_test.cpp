// The TCP userland proxy on a real loop over loopback (no root needed).
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>

#include "network/proxy_ports.hpp"
#include "network/proxy_tcp.hpp"
#include "network/uv_udp.hpp"
#include "tests/integration/dns/uv_test_loop.hpp"
#include "tests/integration/proxy/blocking_server.hpp"

using namespace stack;
using namespace stack::net;
using namespace stack::testing;

namespace {

// Reserves 127.0.0.1:<free>/tcp the way `up` does and starts a proxy to backend_port.
std::unique_ptr<TcpProxy> start_proxy(TestLoop& loop, std::uint16_t backend_port, std::uint16_t& port,
                                      bool splice = true) {
  auto bindings = expand_ports({PortRequest{"web", "127.0.0.1", 0, 0, backend_port, backend_port, Protocol::Tcp}});
  REQUIRE(bindings);
  auto reserved = reserve_ports(*bindings);
  REQUIRE(reserved);
  REQUIRE(reserved->size() == 1);
  ReservedPort& r = (*reserved)[0];
  port = port_of(r.binding.host);
  auto backend = make_sockaddr("127.0.0.1", r.binding.container_port);
  TcpProxy::Options options;
  options.splice = splice;
  auto proxy = TcpProxy::start(loop.get(), std::move(r.fd), *backend, options);
  INFO((proxy ? "" : proxy.error().message));
  REQUIRE(proxy);
  return std::move(*proxy);
}

UniqueFd connect_to(std::uint16_t port) {
  UniqueFd fd = client_socket(SOCK_STREAM, 10000);
  sockaddr_in to = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) fd.reset();
  return fd;
}

char pattern(std::size_t i) { return static_cast<char>((i * 7 + i / 4096) & 0xFF); }

// Sends `total` patterned bytes on one thread while reading them back on this one;
// returns the number of bytes that came back intact and in order.
std::size_t echo_roundtrip(std::uint16_t port, std::size_t total) {
  UniqueFd fd = connect_to(port);
  if (!fd) return 0;
  std::thread writer([&] {
    std::vector<char> buf(65536);
    for (std::size_t off = 0; off < total;) {
      std::size_t n = std::min(buf.size(), total - off);
      for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(off + i);
      if (!send_all(fd.get(), buf.data(), n)) break;
      off += n;
    }
    ::shutdown(fd.get(), SHUT_WR);
  });
  std::size_t good = 0;
  std::vector<char> buf(65536);
  ssize_t n;
  while ((n = ::recv(fd.get(), buf.data(), buf.size(), 0)) > 0) {
    for (ssize_t i = 0; i < n; ++i, ++good)
      if (buf[static_cast<std::size_t>(i)] != pattern(good)) {
        writer.join();
        return good;
      }
  }
  writer.join();
  return good;
}

}  // namespace

TEST_CASE("10 MB through the proxy arrive complete and in order", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  BlockingServer echo(echo_handler);
  REQUIRE(echo.ok());
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, echo.port(), port, splice);
  constexpr std::size_t kTotal = 10 << 20;
  CHECK(loop.run_with([port] { return echo_roundtrip(port, kTotal); }) == kTotal);
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}

TEST_CASE("many concurrent connections are proxied independently", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  BlockingServer echo(echo_handler);
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, echo.port(), port, splice);
  constexpr int kConns = 64;
  constexpr std::size_t kEach = 256 << 10;
  int good = loop.run_with([port] {
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < kConns; ++i) clients.emplace_back([&] { ok += echo_roundtrip(port, kEach) == kEach ? 1 : 0; });
    for (auto& t : clients) t.join();
    return ok.load();
  });
  CHECK(good == kConns);
  CHECK(echo.accepted() == kConns);
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}

TEST_CASE("half-close: the client's FIN reaches the backend, which can still answer", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  // Reads until EOF, only then answers: works only if the FIN was passed on and the
  // other direction stayed open.
  BlockingServer counter([](int fd) {
    char buf[4096];
    std::size_t total = 0;
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) total += static_cast<std::size_t>(n);
    std::string reply = "got " + std::to_string(total);
    send_all(fd, reply.data(), reply.size());
  });
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, counter.port(), port, splice);
  std::string reply = loop.run_with([port] {
    UniqueFd fd = connect_to(port);
    std::string out;
    if (!fd || !send_all(fd.get(), "hello, world", 12)) return out;
    ::shutdown(fd.get(), SHUT_WR);
    char buf[256];
    ssize_t n;
    while ((n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
    if (n < 0) out += " (error)";
    return out;
  });
  CHECK(reply == "got 12");
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}

TEST_CASE("a backend that is down closes the client's connection promptly", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  std::uint16_t dead_port;
  {
    BlockingServer gone(echo_handler);  // a port that was free a moment ago
    dead_port = gone.port();
  }
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, dead_port, port, splice);
  auto elapsed = loop.run_with([port] {
    auto start = std::chrono::steady_clock::now();
    UniqueFd fd = connect_to(port);  // the kernel completes the handshake with the proxy
    char c;
    ssize_t n = fd ? ::recv(fd.get(), &c, 1, 0) : 0;  // 0 or ECONNRESET, never a timeout
    bool timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    return timed_out ? std::chrono::hours(1) : std::chrono::steady_clock::now() - start;
  });
  CHECK(elapsed < std::chrono::seconds(2));
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}

TEST_CASE("throughput through the proxy compared with a direct connection", "[proxy][bench]") {
  TestLoop loop;
  constexpr std::size_t kTotal = 256 << 20;
  BlockingServer source([](int fd) {
    std::vector<char> buf(256 << 10, 'x');
    for (std::size_t sent = 0; sent < kTotal; sent += buf.size())
      if (!send_all(fd, buf.data(), buf.size())) return;
  });
  std::uint16_t spliced_port = 0, buffered_port = 0;
  auto spliced = start_proxy(loop, source.port(), spliced_port, true);
  auto buffered = start_proxy(loop, source.port(), buffered_port, false);
  auto drain = [](std::uint16_t p) {
    UniqueFd fd = connect_to(p);
    std::vector<char> buf(256 << 10);
    std::size_t total = 0;
    auto start = std::chrono::steady_clock::now();
    ssize_t n;
    while (fd && (n = ::recv(fd.get(), buf.data(), buf.size(), 0)) > 0) total += static_cast<std::size_t>(n);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::pair<std::size_t, double>(total, static_cast<double>(total) / (1 << 20) / s);
  };
  // CPU time of this thread, which runs the loop (and so the proxy): robust on a busy machine.
  auto loop_cpu = [] {
    rusage ru{};
    ::getrusage(RUSAGE_THREAD, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  };
  auto measure = [&](std::uint16_t p) {
    double before = loop_cpu();
    auto r = loop.run_with([&] { return drain(p); });
    return std::tuple<std::size_t, double, double>(r.first, r.second, loop_cpu() - before);
  };
  std::uint16_t sp = source.port();
  auto [direct_bytes, direct_rate, direct_cpu] = measure(sp);
  auto [splice_bytes, splice_rate, splice_cpu] = measure(spliced_port);
  auto [buffer_bytes, buffer_rate, buffer_cpu] = measure(buffered_port);
  std::pair<std::size_t, double> direct{direct_bytes, direct_rate}, via_splice{splice_bytes, splice_rate},
      via_buffers{buffer_bytes, buffer_rate};
  CHECK(direct.first == kTotal);
  CHECK(via_splice.first == kTotal);
  CHECK(via_buffers.first == kTotal);
  std::printf(
      "throughput over loopback, %zu MiB one way: direct %.0f MiB/s, proxy with splice %.0f MiB/s, "
      "proxy with buffers %.0f MiB/s; loop thread CPU: %.2f s, %.2f s, %.2f s\n",
      kTotal >> 20, direct.second, via_splice.second, via_buffers.second, direct_cpu, splice_cpu, buffer_cpu);
  CHECK(loop.run_until([&] { return spliced->connections() == 0 && buffered->connections() == 0; }));
}

TEST_CASE("backpressure: a client that does not read stalls the backend", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  constexpr std::size_t kTotal = 128 << 20;
  std::atomic<std::size_t> sent{0};
  BlockingServer source([&sent](int fd) {
    std::vector<char> buf(64 << 10, 'y');
    while (sent < kTotal) {
      if (!send_all(fd, buf.data(), buf.size())) return;
      sent += buf.size();
    }
  });
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, source.port(), port, splice);
  auto result = loop.run_with([&] {
    UniqueFd fd = connect_to(port);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    std::size_t while_stalled = sent;
    std::vector<char> buf(256 << 10);
    std::size_t total = 0;
    ssize_t n;
    while (fd && (n = ::recv(fd.get(), buf.data(), buf.size(), 0)) > 0) total += static_cast<std::size_t>(n);
    return std::pair<std::size_t, std::size_t>(while_stalled, total);
  });
  INFO("sent while the client was not reading: " << result.first);
  // Without backpressure the proxy would have read everything into memory. What may
  // be in flight: socket buffers on both hops plus the proxy's high-water mark.
  CHECK(result.first < 48u << 20);
  CHECK(result.second == kTotal);
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}

TEST_CASE("destroying the proxy with open connections closes them and every handle", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  BlockingServer echo(echo_handler);
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, echo.port(), port, splice);
  std::promise<void> proxy_gone;
  auto gone = proxy_gone.get_future();
  auto client = std::async(std::launch::async, [port, &gone] {
    UniqueFd fd = connect_to(port);
    char buf[16];
    bool echoed = fd && send_all(fd.get(), "ping", 4) && ::recv(fd.get(), buf, sizeof buf, 0) == 4;
    gone.wait();
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);  // EOF or reset, not a timeout
    return echoed && (n == 0 || (n < 0 && errno == ECONNRESET));
  });
  CHECK(loop.run_until([&] { return proxy->connections() == 1 && echo.accepted() == 1; }));
  loop.run_until([] { return false; }, std::chrono::milliseconds(100));  // let the echo pass
  proxy.reset();
  uv_drain_closes(loop.get());
  proxy_gone.set_value();
  CHECK(client.get());
}

TEST_CASE("set_backend sends new connections to the new address", "[proxy]") {
  TestLoop loop;
  bool splice = GENERATE(true, false);
  BlockingServer first([](int fd) { send_all(fd, "first", 5); });
  BlockingServer second([](int fd) { send_all(fd, "second", 6); });
  std::uint16_t port = 0;
  auto proxy = start_proxy(loop, first.port(), port, splice);
  auto read_all = [port] {
    UniqueFd fd = connect_to(port);
    std::string out;
    char buf[64];
    ssize_t n;
    while (fd && (n = ::recv(fd.get(), buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  };
  CHECK(loop.run_with(read_all) == "first");
  proxy->set_backend(*make_sockaddr("127.0.0.1", second.port()));
  CHECK(loop.run_with(read_all) == "second");
  CHECK(loop.run_until([&] { return proxy->connections() == 0; }));
}
