#include "network/proxy_tcp.hpp"

#include "engine/base/log.hpp"
#include "network/uv_udp.hpp"

namespace stack::net {

Result<std::unique_ptr<TcpProxy>> TcpProxy::start(uv_loop_t* loop, UniqueFd listening,
                                                  const sockaddr_storage& backend, Options options) {
  std::unique_ptr<TcpProxy> p(new TcpProxy(backend, options));
  auto listener = UvTcp::create(loop);
  if (!listener) return unexpected(std::move(listener).error());
  p->listener_ = std::move(*listener);
  STACK_TRY_CTX(p->listener_->open(std::move(listening)), "starting TCP proxy");
  STACK_TRY_CTX(p->listener_->listen(SOMAXCONN, [raw = p.get()](int status) {
    if (status == 0) raw->on_connection();
  }), "starting TCP proxy");
  return p;
}

TcpProxy::~TcpProxy() {
  // Connections must not call back into a half-destroyed proxy.
  auto conns = std::move(conns_);
  conns.clear();
}

void TcpProxy::on_connection() {
  auto client = listener_->accept();
  if (!client) {
    log::debug("proxy: {}", client.error().message);
    return;
  }
  if (conns_.size() >= options_.max_connections) return;  // closing `client` refuses it
  std::uint64_t id = next_id_++;
  auto conn = std::make_unique<TcpProxyConn>(std::move(*client), options_.limits,
                                             [this, id] { conns_.erase(id); });
  TcpProxyConn* raw = conn.get();
  conns_.emplace(id, std::move(conn));
  raw->start(reinterpret_cast<const sockaddr*>(&backend_));
}

}  // namespace stack::net
