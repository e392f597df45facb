#pragma once
// A plain threaded TCP server on 127.0.0.1 standing in for a container's service:
// each accepted connection runs `handler(fd)` on its own thread. No Catch assertions
// run on these threads (Catch is not thread-safe); handlers report through atomics.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/base/unique_fd.hpp"

namespace stack::testing {

class BlockingServer {
 public:
  explicit BlockingServer(std::function<void(int fd)> handler) : handler_(std::move(handler)) {
    listen_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ok_ = listen_.valid() && ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
          ::listen(listen_.get(), 512) == 0 && ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0;
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~BlockingServer() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mu_);
    for (auto& t : workers_) t.join();
  }
  BlockingServer(const BlockingServer&) = delete;
  BlockingServer& operator=(const BlockingServer&) = delete;

  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, fd] {
        UniqueFd conn(fd);
        handler_(conn.get());
      });
    }
  }

  std::function<void(int)> handler_;
  UniqueFd listen_;
  bool ok_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

// Echoes until EOF, then closes.
inline void echo_handler(int fd) {
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::send(fd, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) return;
      off += w;
    }
  }
}

inline bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t w = ::send(fd, data, size, MSG_NOSIGNAL);
    if (w <= 0) return false;
    data += w;
    size -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace stack::testing
