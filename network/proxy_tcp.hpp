#pragma once
// A published TCP port: accepts on the host address and forwards every connection to
// the container's address (a userland proxy on the caller's loop, like docker-proxy),
// so published ports work on loopback and without NAT rules.
//
// The backend is either one address or a picker asked at each accepted connection
// (published ports balanced over a service's replicas); a picker without an answer
// (no replica runs) refuses the connection: it is closed at once.
//
// By default bytes move socket -> pipe -> socket with splice(2) (TcpSpliceConn); the
// buffered path (TcpProxyConn) hands a read buffer to the write on the other socket.
#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>

#include "engine/base/unique_fd.hpp"
#include "network/proxy_ports.hpp"
#include "network/proxy_splice_conn.hpp"
#include "network/proxy_tcp_conn.hpp"
#include "network/uv_tcp.hpp"

namespace stack::net {

class TcpProxy {
 public:
  struct Options {
    TcpProxyLimits limits;
    std::size_t max_connections = 4096;  // more are accepted and closed at once
    // Move bytes with splice(2) (no copy through user space); false: read/write
    // through 256 KiB buffers handed from one socket to the other.
    bool splice = true;
  };

  // `listening` is a bound, listening socket from reserve_ports.
  static Result<std::unique_ptr<TcpProxy>> start(uv_loop_t* loop, UniqueFd listening, const sockaddr_storage& backend,
                                                 Options options);
  static Result<std::unique_ptr<TcpProxy>> start(uv_loop_t* loop, UniqueFd listening, const sockaddr_storage& backend) {
    return start(loop, std::move(listening), backend, Options{});
  }
  static Result<std::unique_ptr<TcpProxy>> start(uv_loop_t* loop, UniqueFd listening, BackendPicker pick,
                                                 Options options);
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;
  // Closes the listener and every connection.
  ~TcpProxy();

  // For a container that came back with another address; open connections stay.
  void set_backend(const sockaddr_storage& backend) {
    pick_ = [backend]() -> std::optional<sockaddr_storage> { return backend; };
  }
  std::size_t connections() const { return conns_.size() + splice_conns_.size(); }
  Result<sockaddr_storage> local_address() const { return listener_->local_address(); }

 private:
  TcpProxy(BackendPicker pick, Options options) : pick_(std::move(pick)), options_(options) {}
  void on_connection();
  void start_splice(UvOwned<UvTcp> client, const sockaddr_storage& backend);
  void start_buffered(UvOwned<UvTcp> client, const sockaddr_storage& backend);

  BackendPicker pick_;
  Options options_;
  UvOwned<UvTcp> listener_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<TcpProxyConn>> conns_;
  std::map<std::uint64_t, std::unique_ptr<TcpSpliceConn>> splice_conns_;
};

}  // namespace stack::net
