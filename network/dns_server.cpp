#include "network/dns_server.hpp"

#include <cerrno>
#include <cstring>

#include "engine/base/log.hpp"

namespace stack::net::dns {

struct Server::TcpConn {
  UvOwned<UvTcp> stream;
  UvOwned<UvTimer> idle;
  std::vector<std::uint8_t> buffer;  // bytes of length-prefixed messages (RFC 1035 4.2.2)
  sockaddr_storage peer{};
  std::size_t forwarding = 0;
  bool eof = false;
};

Server::Server(uv_loop_t* loop, ServerOptions options)
    : loop_(loop),
      options_(std::move(options)),
      forwarder_(loop, Forwarder::Options{options_.upstreams, options_.upstream_timeout_ms, 512}) {}

Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::start(uv_loop_t* loop, ServerOptions options) {
  std::unique_ptr<Server> s(new Server(loop, std::move(options)));
  const auto* listen = reinterpret_cast<const sockaddr*>(&s->options_.listen);
  std::string where = format_sockaddr(listen);
  // With port 0 the kernel picks a free UDP port that TCP may have in use: pick again.
  int attempts = sockaddr_port(listen) == 0 ? 32 : 1;
  for (int i = 1;; ++i) {
    STACK_TRY_CTX(s->start_udp(), "starting DNS server on " + where + "/udp");
    if (!s->options_.tcp) return s;
    auto tcp = s->start_tcp();
    if (tcp) return s;
    if (tcp.error().code != EADDRINUSE || i == attempts)
      return unexpected(tcp.error().wrap("starting DNS server on " + where + "/tcp"));
    s->udp_.reset();
    s->tcp_.reset();
  }
}

Result<void> Server::start_udp() {
  auto udp = UvUdp::create(loop_);
  if (!udp) return unexpected(std::move(udp).error());
  udp_ = std::move(*udp);
  STACK_TRY(udp_->bind(reinterpret_cast<const sockaddr*>(&options_.listen)));
  auto addr = udp_->local_address();
  if (!addr) return unexpected(std::move(addr).error());
  udp_address_ = *addr;
  return udp_->recv_start([this](std::span<const std::uint8_t> data, const sockaddr* from) {
    if (from != nullptr) on_udp(data, from);
  });
}

Result<void> Server::start_tcp() {
  auto tcp = UvTcp::create(loop_);
  if (!tcp) return unexpected(std::move(tcp).error());
  tcp_ = std::move(*tcp);
  // The same port as UDP, also when the caller asked for port 0.
  sockaddr_storage addr = udp_address_;
  STACK_TRY(tcp_->bind(reinterpret_cast<const sockaddr*>(&addr)));
  STACK_TRY(tcp_->listen(64, [this](int status) {
    if (status == 0) on_tcp_connection();
  }));
  auto local = tcp_->local_address();
  if (!local) return unexpected(std::move(local).error());
  tcp_address_ = *local;
  return {};
}

void Server::set_client_upstreams(in_addr client, std::vector<sockaddr_storage> upstreams) {
  if (upstreams.empty())
    client_upstreams_.erase(client.s_addr);
  else
    client_upstreams_[client.s_addr] = std::move(upstreams);
}

void Server::set_client_table(in_addr client, std::shared_ptr<const NameTable> table) {
  if (!table)
    client_tables_.erase(client.s_addr);
  else
    client_tables_[client.s_addr] = std::move(table);
}

const NameTable& Server::table_for(const sockaddr* client) const {
  if (client == nullptr || client->sa_family != AF_INET) return table_;
  auto it = client_tables_.find(reinterpret_cast<const sockaddr_in*>(client)->sin_addr.s_addr);
  return it == client_tables_.end() ? table_ : *it->second;
}

const std::vector<sockaddr_storage>& Server::upstreams_for(const sockaddr* client) const {
  static const std::vector<sockaddr_storage> kNone;
  if (client == nullptr || client->sa_family != AF_INET) return kNone;
  auto it = client_upstreams_.find(reinterpret_cast<const sockaddr_in*>(client)->sin_addr.s_addr);
  return it == client_upstreams_.end() ? kNone : it->second;
}

void Server::on_udp(std::span<const std::uint8_t> data, const sockaddr* from) {
  Decision d = decide(table_for(from), data, Transport::Udp, options_.ttl, rotation_++);
  if (d.kind == Decision::Kind::Reply) {
    (void)udp_->send(d.reply, from);  // a lost reply is retried by the client
    return;
  }
  if (d.kind != Decision::Kind::Forward) return;
  sockaddr_storage client{};
  std::memcpy(&client, from, sockaddr_len(from));
  forwarder_.forward(
      data, d.query,
      [this, client](std::vector<std::uint8_t> reply) {
        (void)udp_->send(reply, reinterpret_cast<const sockaddr*>(&client));
      },
      upstreams_for(from));
}

void Server::on_tcp_connection() {
  auto stream = tcp_->accept();
  if (!stream) return;
  if (conns_.size() >= kMaxTcpConnections) return;  // dropping it closes the connection
  std::uint64_t id = next_conn_++;
  auto conn = std::make_unique<TcpConn>();
  conn->stream = std::move(*stream);
  int len = sizeof conn->peer;
  uv_tcp_getpeername(conn->stream->raw(), reinterpret_cast<sockaddr*>(&conn->peer), &len);
  auto idle = UvTimer::create(loop_);
  if (!idle) return;
  conn->idle = std::move(*idle);
  auto started = conn->stream->read_start([this, id](ssize_t nread, Chunk chunk) { on_tcp_read(id, nread, chunk); });
  if (started) started = conn->idle->start(options_.tcp_idle_ms, 0, [this, id] { drop_tcp(id); });
  if (started) conns_.emplace(id, std::move(conn));
}

void Server::on_tcp_read(std::uint64_t id, ssize_t nread, const Chunk& chunk) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  TcpConn& c = *it->second;
  if (nread < 0) {
    c.eof = true;
    if (nread != UV_EOF) return drop_tcp(id);
    if (c.forwarding == 0) finish_tcp(id);
    return;
  }
  (void)c.idle->start(options_.tcp_idle_ms, 0, [this, id] { drop_tcp(id); });
  c.buffer.insert(c.buffer.end(), chunk.data.get(), chunk.data.get() + chunk.size);
  while (c.buffer.size() >= 2) {
    std::size_t len = (std::size_t{c.buffer[0]} << 8) | c.buffer[1];
    if (c.buffer.size() < len + 2) break;
    std::vector<std::uint8_t> msg(c.buffer.begin() + 2, c.buffer.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    c.buffer.erase(c.buffer.begin(), c.buffer.begin() + 2 + static_cast<std::ptrdiff_t>(len));
    handle_tcp_message(id, msg);
    if (conns_.find(id) == conns_.end()) return;
  }
}

void Server::handle_tcp_message(std::uint64_t id, std::span<const std::uint8_t> msg) {
  Decision d = decide(table_for(reinterpret_cast<const sockaddr*>(&conns_.at(id)->peer)), msg, Transport::Tcp,
                      options_.ttl, rotation_++);
  if (d.kind == Decision::Kind::Reply) return send_tcp(id, d.reply);
  if (d.kind == Decision::Kind::Drop) return drop_tcp(id);
  TcpConn& c = *conns_.at(id);
  c.forwarding++;
  auto done = [this, id](std::vector<std::uint8_t> reply) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    it->second->forwarding--;
    send_tcp(id, reply);
    it = conns_.find(id);
    if (it != conns_.end() && it->second->eof && it->second->forwarding == 0) finish_tcp(id);
  };
  forwarder_.forward(msg, d.query, std::move(done), upstreams_for(reinterpret_cast<const sockaddr*>(&c.peer)));
}

void Server::send_tcp(std::uint64_t id, const std::vector<std::uint8_t>& reply) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::string framed;
  framed.reserve(reply.size() + 2);
  framed.push_back(static_cast<char>(reply.size() >> 8));
  framed.push_back(static_cast<char>(reply.size() & 0xFF));
  framed.append(reinterpret_cast<const char*>(reply.data()), reply.size());
  if (!it->second->stream->write(framed)) drop_tcp(id);
}

void Server::drop_tcp(std::uint64_t id) { conns_.erase(id); }

void Server::finish_tcp(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  // uv_shutdown(3) waits for queued replies, then sends FIN.
  if (!it->second->stream->shutdown([this, id](int) { drop_tcp(id); })) drop_tcp(id);
}

}  // namespace stack::net::dns
