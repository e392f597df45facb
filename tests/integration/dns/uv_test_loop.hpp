#pragma once
// Test helpers for code on a libuv loop: the loop runs on the test's main thread while
// blocking client code (plain sockets) runs on another thread, so the code under test
// never sees a second thread. Shared by tests/integration/dns and tests/integration/proxy.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"
#include "network/uv_timer.hpp"

namespace stack::testing {

inline int count_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory stream's own fd
}

// A loop for one test; the destructor asserts the loop closes with no handle left
// (uv_loop_close() == 0) and that no fd opened during the test is still open.
class TestLoop {
 public:
  TestLoop() : fds_before_(warm_up()) { REQUIRE(uv_loop_init(&loop_) == 0); }
  ~TestLoop() {
    auto closed = uv_close_loop(&loop_);
    std::string open_handles = closed ? "" : closed.error().message;
    CHECK(open_handles == "");
    CHECK(count_fds() == fds_before_);
  }
  TestLoop(const TestLoop&) = delete;
  TestLoop& operator=(const TestLoop&) = delete;
  uv_loop_t* get() { return &loop_; }

  // Runs the loop until pred() holds or the timeout passes; false on timeout. A 1 ms
  // ticker makes UV_RUN_ONCE return, so pred() may depend on another thread.
  template <typename Pred>
  bool run_until(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto ticker = std::move(*stack::net::UvTimer::create(&loop_));
    REQUIRE(ticker->start(1, 1, [] {}));
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool ok = true;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) {
        ok = false;
        break;
      }
      uv_run(&loop_, UV_RUN_ONCE);
    }
    ticker.reset();
    uv_drain_closes(&loop_);
    return ok;
  }

  // Runs f on a thread while the loop runs here; returns f's result.
  template <typename F>
  auto run_with(F f, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto fut = std::async(std::launch::async, std::move(f));
    bool done = run_until([&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }, timeout);
    REQUIRE(done);
    return fut.get();
  }

 private:
  // libuv keeps a process-wide pipe for signal handling, made by the first
  // uv_loop_init; make it before counting so it does not look like a leak.
  static int warm_up() {
    static bool once = [] {
      uv_loop_t l;
      uv_loop_init(&l);
      return uv_loop_close(&l) == 0;
    }();
    (void)once;
    return count_fds();
  }

  int fds_before_;
  uv_loop_t loop_{};
};

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline std::uint16_t port_of(const sockaddr_storage& ss) {
  return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
}

// A blocking socket with send/receive timeouts. Safe on a client thread (no Catch
// assertions there: Catch is not thread-safe).
inline UniqueFd client_socket(int type, int timeout_ms = 5000) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace stack::testing
