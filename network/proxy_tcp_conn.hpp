#pragma once
// One proxied TCP connection: a client stream accepted by TcpProxy and a stream to the
// container. Bytes are pumped both ways with backpressure (a side stops reading while
// the other side's write queue is above the high-water mark, and resumes once it has
// drained below the low-water mark), a FIN is passed on with uv_shutdown once the
// queued bytes are written (half-close), and an error on either side closes both.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "network/uv_tcp.hpp"
#include "network/uv_timer.hpp"

namespace stack::net {

struct TcpProxyLimits {
  std::size_t high_water = 1 << 20;  // bytes queued for the other side before pausing
  std::size_t low_water = 256 << 10;
  std::uint64_t connect_timeout_ms = 10000;
};

class TcpProxyConn {
 public:
  // `done` runs exactly once, when the connection is over; it may delete this object.
  TcpProxyConn(UvOwned<UvTcp> client, TcpProxyLimits limits, std::function<void()> done);
  TcpProxyConn(const TcpProxyConn&) = delete;
  TcpProxyConn& operator=(const TcpProxyConn&) = delete;
  ~TcpProxyConn() = default;

  // Connects to the container; on failure the client is reset at once.
  void start(const sockaddr* backend);

 private:
  struct Side {
    UvOwned<UvTcp> stream;
    bool read_eof = false;  // FIN received from this side
    bool shut = false;      // our FIN towards this side has been sent
    bool paused = false;    // reading stopped for backpressure
  };

  void on_connected(int status);
  Result<void> pump(Side& from, Side& to);
  void on_read(Side& from, Side& to, ssize_t nread, Chunk chunk);
  void on_written(Side& from, Side& to, int status);
  void maybe_done();
  void finish(bool reset);

  TcpProxyLimits limits_;
  std::function<void()> done_;
  Side client_;
  Side backend_;
  UvOwned<UvTimer> connect_timer_;
  bool finished_ = false;
};

}  // namespace stack::net
