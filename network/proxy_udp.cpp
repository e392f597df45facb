#include "network/proxy_udp.hpp"

#include <cstring>

#include "engine/base/log.hpp"

namespace stack::net {

Result<std::unique_ptr<UdpProxy>> UdpProxy::start(uv_loop_t* loop, UniqueFd bound, const sockaddr_storage& backend,
                                                  Options options) {
  return start(loop, std::move(bound), [backend]() -> std::optional<sockaddr_storage> { return backend; }, options);
}

Result<std::unique_ptr<UdpProxy>> UdpProxy::start(uv_loop_t* loop, UniqueFd bound, BackendPicker pick,
                                                  Options options) {
  std::unique_ptr<UdpProxy> p(new UdpProxy(std::move(pick), options));
  auto listener = UvUdp::create(loop);
  if (!listener) return unexpected(std::move(listener).error());
  p->listener_ = std::move(*listener);
  STACK_TRY_CTX(p->listener_->open(std::move(bound)), "starting UDP proxy");
  STACK_TRY_CTX(p->listener_->recv_start([raw = p.get()](std::span<const std::uint8_t> data, const sockaddr* from) {
    if (from != nullptr) raw->on_datagram(data, from);
  }),
                "starting UDP proxy");
  return p;
}

void UdpProxy::on_datagram(std::span<const std::uint8_t> data, const sockaddr* from) {
  std::string key(reinterpret_cast<const char*>(from), sockaddr_len(from));
  auto it = flows_.find(key);
  Flow* flow = nullptr;
  if (it != flows_.end()) {
    flow = it->second.get();
  } else {
    if (flows_.size() >= options_.max_flows) return;
    auto opened = open_flow(key, from);
    if (!opened) {
      log::debug("proxy: UDP flow from {}: {}", format_sockaddr(from), opened.error().message);
      return;
    }
    flow = *opened;
  }
  (void)flow->upstream->send(data, nullptr);  // UDP: a lost datagram is the client's to retry
  touch(key);
}

Result<UdpProxy::Flow*> UdpProxy::open_flow(const std::string& key, const sockaddr* from) {
  auto backend = pick_();
  if (!backend) return fail("no backend runs");
  auto flow = std::make_unique<Flow>();
  std::memcpy(&flow->client, from, sockaddr_len(from));
  auto upstream = UvUdp::create(listener_->loop());
  if (!upstream) return unexpected(std::move(upstream).error());
  flow->upstream = std::move(*upstream);
  auto idle = UvTimer::create(listener_->loop());
  if (!idle) return unexpected(std::move(idle).error());
  flow->idle = std::move(*idle);
  STACK_TRY(flow->upstream->connect(reinterpret_cast<const sockaddr*>(&*backend)));
  STACK_TRY(flow->upstream->recv_start([this, key](std::span<const std::uint8_t> data, const sockaddr* src) {
    auto f = flows_.find(key);
    // An error (ICMP port unreachable while the container restarts) keeps the flow.
    if (src == nullptr || f == flows_.end()) return;
    (void)listener_->send(data, reinterpret_cast<const sockaddr*>(&f->second->client));
    touch(key);
  }));
  Flow* raw = flow.get();
  flows_.emplace(key, std::move(flow));
  return raw;
}

void UdpProxy::touch(const std::string& key) {
  auto it = flows_.find(key);
  if (it == flows_.end()) return;
  // Re-arming is a heap update in libuv; cheap enough per datagram.
  (void)it->second->idle->start(options_.idle_timeout_ms, 0, [this, key] { flows_.erase(key); });
}

}  // namespace stack::net
