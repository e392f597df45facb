#pragma once
// One proxied TCP connection moved by splice(2): socket -> pipe -> socket inside the
// kernel, so the proxy never copies the bytes (kernel zero-copy where the socket
// supports it). The pipe's capacity bounds the bytes in flight per direction, which
// is the backpressure: while a pipe is full its source is not polled for reading.
// Half-close and errors behave as in TcpProxyConn.
#include <sys/socket.h>

#include <cstddef>
#include <functional>

#include "engine/base/unique_fd.hpp"
#include "network/proxy_tcp_conn.hpp"
#include "network/uv_poll.hpp"
#include "network/uv_timer.hpp"

namespace stack::net {

class TcpSpliceConn {
 public:
  // `done` runs exactly once when the connection is over; it may delete this object.
  TcpSpliceConn(uv_loop_t* loop, TcpProxyLimits limits, std::function<void()> done);
  TcpSpliceConn(const TcpSpliceConn&) = delete;
  TcpSpliceConn& operator=(const TcpSpliceConn&) = delete;
  ~TcpSpliceConn() = default;

  // Two pipes per connection: this fails (EMFILE) before anything else is taken, so
  // the caller can fall back to the buffered path.
  Result<void> make_pipes();
  // Takes the accepted client socket (non-blocking) and connects to the container.
  // Fails only if a handle cannot be made.
  Result<void> start(UniqueFd client, const sockaddr* backend);

  static constexpr int kPipeSize = 1 << 20;  // F_SETPIPE_SZ, fcntl(2); best effort

 private:
  struct Pipe {
    UniqueFd r, w;
    std::size_t bytes = 0;  // in the pipe
    std::size_t capacity = 65536;
    // splice(2) may find the pipe out of slots before `capacity` bytes (a slot per
    // page or fragment): after EAGAIN with bytes in the pipe, read again only once
    // some have been written out, so epoll does not spin on a readable source.
    bool full = false;
    bool eof = false;   // the source sent FIN
    bool shut = false;  // we sent FIN to the destination
  };

  void on_connect_ready(int status);
  void on_event(bool client_side, int status, int events);
  // Moves bytes from `from` through `p` into `to`; false on an error.
  bool pump(int from, Pipe& p, int to);
  bool flush(Pipe& p, int to);
  void update_interest();
  void finish(bool reset);

  uv_loop_t* loop_;
  TcpProxyLimits limits_;
  std::function<void()> done_;
  UvOwned<UvPoll> client_;
  UvOwned<UvPoll> backend_;
  UvOwned<UvTimer> connect_timer_;
  Pipe up_;    // client -> backend
  Pipe down_;  // backend -> client
  bool connected_ = false;
  bool finished_ = false;
};

// Makes a pipe pair for splice, O_CLOEXEC|O_NONBLOCK, as large as the host allows up to
// `size`; returns the capacity.
Result<std::size_t> make_splice_pipe(UniqueFd& r, UniqueFd& w, int size);

}  // namespace stack::net
