#include "network/proxy_tcp.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "engine/base/log.hpp"
#include "network/uv_udp.hpp"

namespace stack::net {

Result<std::unique_ptr<TcpProxy>> TcpProxy::start(uv_loop_t* loop, UniqueFd listening, const sockaddr_storage& backend,
                                                  Options options) {
  return start(loop, std::move(listening), [backend]() -> std::optional<sockaddr_storage> { return backend; }, options);
}

Result<std::unique_ptr<TcpProxy>> TcpProxy::start(uv_loop_t* loop, UniqueFd listening, BackendPicker pick,
                                                  Options options) {
  std::unique_ptr<TcpProxy> p(new TcpProxy(std::move(pick), options));
  auto listener = UvTcp::create(loop);
  if (!listener) return unexpected(std::move(listener).error());
  p->listener_ = std::move(*listener);
  STACK_TRY_CTX(p->listener_->open(std::move(listening)), "starting TCP proxy");
  STACK_TRY_CTX(p->listener_->listen(SOMAXCONN,
                                     [raw = p.get()](int status) {
                                       if (status == 0) raw->on_connection();
                                     }),
                "starting TCP proxy");
  return p;
}

TcpProxy::~TcpProxy() {
  // Connections must not call back into a half-destroyed proxy.
  auto conns = std::move(conns_);
  conns.clear();
  auto splice_conns = std::move(splice_conns_);
  splice_conns.clear();
}

void TcpProxy::on_connection() {
  auto client = listener_->accept();
  if (!client) {
    log::debug("proxy: {}", client.error().message);
    return;
  }
  if (connections() >= options_.max_connections) return;  // closing `client` refuses it
  auto backend = pick_();
  if (!backend) return;  // likewise
  if (options_.splice) return start_splice(std::move(*client), *backend);
  start_buffered(std::move(*client), *backend);
}

void TcpProxy::start_buffered(UvOwned<UvTcp> client, const sockaddr_storage& backend) {
  std::uint64_t id = next_id_++;
  auto conn = std::make_unique<TcpProxyConn>(std::move(client), options_.limits, [this, id] { conns_.erase(id); });
  TcpProxyConn* raw = conn.get();
  conns_.emplace(id, std::move(conn));
  raw->start(reinterpret_cast<const sockaddr*>(&backend));
}

void TcpProxy::start_splice(UvOwned<UvTcp> client, const sockaddr_storage& backend) {
  std::uint64_t id = next_id_++;
  auto conn =
      std::make_unique<TcpSpliceConn>(listener_->loop(), options_.limits, [this, id] { splice_conns_.erase(id); });
  auto pipes = conn->make_pipes();
  if (!pipes) {
    // Out of fds for pipes: this connection takes the buffered path.
    log::debug("proxy: {}", pipes.error().message);
    return start_buffered(std::move(client), backend);
  }
  // splice(2) needs the raw socket: keep a duplicate and let libuv close its own
  // (uv_close removes it from epoll first, so the duplicate is not watched twice).
  uv_os_fd_t fd;
  if (uv_fileno(client->uv_base(), &fd) < 0) return;
  UniqueFd dup(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!dup) {
    log::debug("proxy: duplicating an accepted socket: {}", std::strerror(errno));
    return;
  }
  client.reset();
  TcpSpliceConn* raw = conn.get();
  splice_conns_.emplace(id, std::move(conn));
  auto started = raw->start(std::move(dup), reinterpret_cast<const sockaddr*>(&backend));
  if (!started) {
    log::warn("proxy: {}", started.error().message);
    splice_conns_.erase(id);
  }
}

}  // namespace stack::net
