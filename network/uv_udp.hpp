#pragma once
// A libuv UDP socket owned per style.md rule 9 (see engine/base/uv_handle.hpp).
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::net {

class UvUdp final : public UvHandle<uv_udp_t> {
 public:
  // One datagram; `from` is null only for errors (nread < 0 in uv_udp_recv_cb(3)).
  using RecvCb = std::function<void(std::span<const std::uint8_t> data, const sockaddr* from)>;

  static Result<UvOwned<UvUdp>> create(uv_loop_t* loop);

  Result<void> bind(const sockaddr* addr, unsigned flags = 0);
  // Adopts a bound socket (e.g. from reserve_ports); libuv closes it with the handle.
  Result<void> open(UniqueFd fd);
  // Fixes the peer (uv_udp_connect(3)): datagrams from anyone else are dropped by the kernel.
  Result<void> connect(const sockaddr* addr);
  Result<void> recv_start(RecvCb cb);
  void recv_stop() noexcept;
  // Copies the datagram; `to` is null on a connected socket. Drops the datagram (and
  // returns an error) when the send queue is already long: UDP has no backpressure.
  Result<void> send(std::span<const std::uint8_t> data, const sockaddr* to);
  Result<sockaddr_storage> local_address() const;
  std::size_t send_queue_count() const noexcept;

  static constexpr std::size_t kMaxQueuedSends = 1024;

 private:
  UvUdp() = default;
  ~UvUdp() override = default;
  void on_close() noexcept override { recv_stop(); }

  RecvCb recv_cb_;
};

// "127.0.0.1:53" or "[::1]:53".
std::string format_sockaddr(const sockaddr* addr);
// Parses an IPv4 or IPv6 literal and a port into a socket address.
Result<sockaddr_storage> make_sockaddr(const std::string& ip, std::uint16_t port);
std::uint16_t sockaddr_port(const sockaddr* addr) noexcept;
socklen_t sockaddr_len(const sockaddr* addr) noexcept;

}  // namespace stack::net
