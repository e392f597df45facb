#include "network/dns_forwarder.hpp"

#include "engine/base/log.hpp"

namespace stack::net::dns {

Forwarder::Forwarder(uv_loop_t* loop, Options options)
    : loop_(loop), options_(std::move(options)), rng_(std::random_device{}()) {}

void Forwarder::forward(std::span<const std::uint8_t> packet, const Message& query, ReplyCb cb,
                        const std::vector<sockaddr_storage>& upstreams) {
  if (pending_.size() >= options_.max_pending || query.questions.size() != 1) {
    cb(build_response(query, Rcode::ServFail, {}, 0, kMaxUdpPlain));
    return;
  }
  auto p = std::make_unique<Pending>();
  p->packet.assign(packet.begin(), packet.end());
  p->query = query;
  p->upstreams = upstreams.empty() ? options_.upstreams : upstreams;
  p->our_id = static_cast<std::uint16_t>(rng_());
  set_id(p->packet, p->our_id);
  p->cb = std::move(cb);
  std::uint64_t key = next_key_++;
  pending_.emplace(key, std::move(p));
  try_next(key);
}

void Forwarder::try_next(std::uint64_t key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  Pending& p = *it->second;
  p.socket.reset();
  p.timer.reset();
  if (p.next_upstream >= p.upstreams.size()) return fail_servfail(key);
  const auto* upstream = reinterpret_cast<const sockaddr*>(&p.upstreams[p.next_upstream++]);
  auto sock = UvUdp::create(loop_);
  auto timer = UvTimer::create(loop_);
  if (!sock || !timer) return fail_servfail(key);
  p.socket = std::move(*sock);
  p.timer = std::move(*timer);
  auto started = [&]() -> Result<void> {
    STACK_TRY(p.socket->connect(upstream));
    STACK_TRY(p.socket->recv_start([this, key](std::span<const std::uint8_t> data, const sockaddr* from) {
      auto pit = pending_.find(key);
      if (pit == pending_.end()) return;
      if (from == nullptr) return try_next(key);  // e.g. ECONNREFUSED from ICMP
      if (accept_reply(*pit->second, data)) finish(key, {data.begin(), data.end()});
    }));
    STACK_TRY(p.socket->send(p.packet, nullptr));
    return p.timer->start(options_.timeout_ms, 0, [this, key] { try_next(key); });
  }();
  if (!started) {
    log::debug("dns: upstream {}: {}", format_sockaddr(upstream), started.error().message);
    try_next(key);
  }
}

bool Forwarder::accept_reply(const Pending& p, std::span<const std::uint8_t> data) const {
  auto reply = parse_message(data);
  if (!reply || !reply->header.qr() || reply->header.id != p.our_id) return false;
  if (reply->questions.size() != 1) return false;
  const Question& a = reply->questions[0];
  const Question& q = p.query.questions[0];
  return a.type == q.type && a.klass == q.klass && canonical_name(a.name) == canonical_name(q.name);
}

void Forwarder::finish(std::uint64_t key, std::vector<std::uint8_t> reply) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  pending_.erase(it);
  set_id(reply, p->query.header.id);
  ReplyCb cb = std::move(p->cb);
  p.reset();  // closes the socket and timer; their memory goes in the close callbacks
  cb(std::move(reply));
}

void Forwarder::fail_servfail(std::uint64_t key) {
  auto it = pending_.find(key);
  if (it == pending_.end()) return;
  finish(key, build_response(it->second->query, Rcode::ServFail, {}, 0, kMaxUdpPlain));
}

}  // namespace stack::net::dns
