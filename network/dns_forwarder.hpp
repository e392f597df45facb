#pragma once
// Forwards queries for names outside the stack to upstream resolvers over UDP.
// Each query gets a fresh socket (a random source port) connected to one upstream and a
// fresh random id, so a reply must come from that upstream, to that port, with that id
// and the same question (RFC 5452 measures against spoofing). Upstreams are tried in
// order, each with a timeout; an ICMP "port unreachable" fails over at once. When every
// upstream failed the client gets SERVFAIL.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "network/dns_message.hpp"
#include "network/uv_timer.hpp"
#include "network/uv_udp.hpp"

namespace stack::net::dns {

class Forwarder {
 public:
  struct Options {
    std::vector<sockaddr_storage> upstreams;
    std::uint64_t timeout_ms = 2000;  // per upstream
    std::size_t max_pending = 512;    // beyond this, SERVFAIL at once
  };
  // The reply to send to the client, id already restored.
  using ReplyCb = std::function<void(std::vector<std::uint8_t> reply)>;

  Forwarder(uv_loop_t* loop, Options options);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  // Pending queries are dropped without calling back; their handles close.
  ~Forwarder() = default;

  // `packet` is the client's query, `query` its parsed form; `upstreams` overrides
  // the default list when not empty (a service's own `dns:` servers).
  void forward(std::span<const std::uint8_t> packet, const Message& query, ReplyCb cb,
               const std::vector<sockaddr_storage>& upstreams = {});
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::vector<std::uint8_t> packet;  // with our id
    Message query;
    std::uint16_t our_id = 0;
    std::vector<sockaddr_storage> upstreams;
    std::size_t next_upstream = 0;
    UvOwned<UvUdp> socket;
    UvOwned<UvTimer> timer;
    ReplyCb cb;
  };

  void try_next(std::uint64_t key);
  bool accept_reply(const Pending& p, std::span<const std::uint8_t> data) const;
  void finish(std::uint64_t key, std::vector<std::uint8_t> reply);
  void fail_servfail(std::uint64_t key);

  uv_loop_t* loop_;
  Options options_;
  std::mt19937 rng_;
  std::uint64_t next_key_ = 1;
  std::map<std::uint64_t, std::unique_ptr<Pending>> pending_;
};

}  // namespace stack::net::dns
