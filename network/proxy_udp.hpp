#pragma once
// A published UDP port: every client address gets a flow with its own socket
// connected to the container (so replies can be told apart and sent back to the right
// client) and an idle timeout, after which the flow is forgotten, like conntrack's
// UDP timeout. A flow's backend is chosen when the flow opens (a fixed address, or a
// BackendPicker: a new client's datagrams are dropped while it has no answer).
#include <sys/socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "engine/base/unique_fd.hpp"
#include "network/proxy_ports.hpp"
#include "network/uv_timer.hpp"
#include "network/uv_udp.hpp"

namespace stack::net {

class UdpProxy {
 public:
  struct Options {
    std::uint64_t idle_timeout_ms = 60000;
    std::size_t max_flows = 4096;  // datagrams from new clients beyond this are dropped
  };

  // `bound` is a bound UDP socket from reserve_ports.
  static Result<std::unique_ptr<UdpProxy>> start(uv_loop_t* loop, UniqueFd bound, const sockaddr_storage& backend,
                                                 Options options);
  static Result<std::unique_ptr<UdpProxy>> start(uv_loop_t* loop, UniqueFd bound, const sockaddr_storage& backend) {
    return start(loop, std::move(bound), backend, Options{});
  }
  static Result<std::unique_ptr<UdpProxy>> start(uv_loop_t* loop, UniqueFd bound, BackendPicker pick,
                                                 Options options);
  UdpProxy(const UdpProxy&) = delete;
  UdpProxy& operator=(const UdpProxy&) = delete;
  ~UdpProxy() = default;

  // For new flows; open ones keep theirs until they idle out.
  void set_backend(const sockaddr_storage& backend) {
    pick_ = [backend]() -> std::optional<sockaddr_storage> { return backend; };
  }
  std::size_t flows() const { return flows_.size(); }
  Result<sockaddr_storage> local_address() const { return listener_->local_address(); }

 private:
  struct Flow {
    sockaddr_storage client{};
    UvOwned<UvUdp> upstream;
    UvOwned<UvTimer> idle;
  };

  UdpProxy(BackendPicker pick, Options options) : pick_(std::move(pick)), options_(options) {}
  void on_datagram(std::span<const std::uint8_t> data, const sockaddr* from);
  Result<Flow*> open_flow(const std::string& key, const sockaddr* from);
  void touch(const std::string& key);

  BackendPicker pick_;
  Options options_;
  UvOwned<UvUdp> listener_;
  std::map<std::string, std::unique_ptr<Flow>> flows_;  // key: the client's address bytes
};

}  // namespace stack::net
