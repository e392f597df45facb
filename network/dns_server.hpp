#pragma once
// The embedded name server of one network: UDP and TCP listeners on one address
// (in production the bridge's gateway, port 53), answering from this network's own
// NameTable, so a query only ever sees names on the network it arrived on, and
// forwarding the rest upstream. Runs on the caller's loop; the table may be changed
// at any time between callbacks.
#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "network/dns_answer.hpp"
#include "network/dns_forwarder.hpp"
#include "network/dns_table.hpp"
#include "network/uv_tcp.hpp"
#include "network/uv_timer.hpp"
#include "network/uv_udp.hpp"

namespace stack::net::dns {

struct ServerOptions {
  sockaddr_storage listen{};  // port 0 picks a free port (tests)
  std::vector<sockaddr_storage> upstreams;
  std::uint64_t upstream_timeout_ms = 2000;
  // Short: addresses change when containers restart, and clients may cache.
  std::uint32_t ttl = 10;
  bool tcp = true;  // RFC 7766: TCP is required, e.g. after a truncated UDP answer
  // RFC 7766 6.2.3: servers close idle connections; a few seconds is the norm.
  std::uint64_t tcp_idle_ms = 10000;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> start(uv_loop_t* loop, ServerOptions options);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // closes every handle (memory is freed in their close callbacks)

  NameTable& table() { return table_; }
  // Queries from this client address (a container with its own `dns:` servers) are
  // forwarded to these upstreams instead of the default ones; an empty list removes it.
  void set_client_upstreams(in_addr client, std::vector<sockaddr_storage> upstreams);
  // Queries from this client address (a container on several networks) are answered
  // from this table instead of the network's own (the union of the client's networks);
  // nullptr removes it. The caller keeps the table current.
  void set_client_table(in_addr client, std::shared_ptr<const NameTable> table);
  const sockaddr_storage& udp_address() const { return udp_address_; }
  const sockaddr_storage& tcp_address() const { return tcp_address_; }
  std::size_t tcp_connections() const { return conns_.size(); }
  std::size_t forwarding() const { return forwarder_.pending(); }

  static constexpr std::size_t kMaxTcpConnections = 128;

 private:
  struct TcpConn;
  Server(uv_loop_t* loop, ServerOptions options);
  Result<void> start_udp();
  Result<void> start_tcp();
  void on_udp(std::span<const std::uint8_t> data, const sockaddr* from);
  void on_tcp_connection();
  void on_tcp_read(std::uint64_t id, ssize_t nread, const Chunk& chunk);
  void handle_tcp_message(std::uint64_t id, std::span<const std::uint8_t> msg);
  void send_tcp(std::uint64_t id, const std::vector<std::uint8_t>& reply);
  void drop_tcp(std::uint64_t id);
  void finish_tcp(std::uint64_t id);  // after the client's EOF

  uv_loop_t* loop_;
  ServerOptions options_;
  NameTable table_;
  Forwarder forwarder_;
  UvOwned<UvUdp> udp_;
  UvOwned<UvTcp> tcp_;
  sockaddr_storage udp_address_{};
  sockaddr_storage tcp_address_{};
  std::uint64_t next_conn_ = 1;
  std::size_t rotation_ = 0;
  std::map<std::uint32_t, std::vector<sockaddr_storage>> client_upstreams_;  // by s_addr
  const std::vector<sockaddr_storage>& upstreams_for(const sockaddr* client) const;
  std::map<std::uint32_t, std::shared_ptr<const NameTable>> client_tables_;  // by s_addr
  const NameTable& table_for(const sockaddr* client) const;
  std::map<std::uint64_t, std::unique_ptr<TcpConn>> conns_;
};

}  // namespace stack::net::dns
