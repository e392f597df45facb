#include "network/uv_udp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

namespace stack::net {

namespace {

// The largest UDP payload; one buffer per thread suffices because uv_udp_recv_cb
// runs to completion before the next alloc_cb (the data is handed to the callback as a span).
constexpr std::size_t kRecvBuffer = 65536;

struct SendReq {
  uv_udp_send_t req{};
  std::unique_ptr<std::uint8_t[]> data;
};

}  // namespace

Result<UvOwned<UvUdp>> UvUdp::create(uv_loop_t* loop) {
  UvOwned<UvUdp> u(new UvUdp());
  STACK_TRY(u->init_result(uv_udp_init(loop, u->raw()), "uv_udp_init"));
  return u;
}

Result<void> UvUdp::bind(const sockaddr* addr, unsigned flags) {
  int rc = uv_udp_bind(raw(), addr, flags);
  if (rc < 0) return fail_uv(rc, "binding UDP socket to " + format_sockaddr(addr));
  return {};
}

Result<void> UvUdp::open(UniqueFd fd) {
  int rc = uv_udp_open(raw(), fd.get());
  if (rc < 0) return fail_uv(rc, "uv_udp_open");
  fd.release();
  return {};
}

Result<void> UvUdp::connect(const sockaddr* addr) {
  int rc = uv_udp_connect(raw(), addr);
  if (rc < 0) return fail_uv(rc, "connecting UDP socket to " + format_sockaddr(addr));
  return {};
}

Result<void> UvUdp::recv_start(RecvCb cb) {
  recv_cb_ = std::move(cb);
  int rc = uv_udp_recv_start(
      raw(),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        // Allocated on first use: a thread_local array would sit in every thread's static
        // TLS block, which glibc zeroes when it makes a thread (64 KiB resident in each of
        // the supervisor's libuv pool threads that never receive a datagram).
        static thread_local std::unique_ptr<char[]> storage;
        if (!storage) storage = std::make_unique_for_overwrite<char[]>(kRecvBuffer);
        *buf = uv_buf_init(storage.get(), kRecvBuffer);
      },
      [](uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned) {
        auto* self = owner<UvUdp>(h);
        if (self->closing() || !self->recv_cb_) return;
        // nread == 0 with from == null only says "nothing more to read" (uv_udp_recv_cb(3)).
        if (nread == 0 && from == nullptr) return;
        if (nread < 0) {
          self->recv_cb_({}, nullptr);
          return;
        }
        self->recv_cb_({reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)}, from);
      });
  if (rc < 0) return fail_uv(rc, "uv_udp_recv_start");
  return {};
}

void UvUdp::recv_stop() noexcept { uv_udp_recv_stop(raw()); }

Result<void> UvUdp::send(std::span<const std::uint8_t> data, const sockaddr* to) {
  if (closing()) return fail("UDP socket is closing");
  // Try the fast path first: most datagrams go out at once without a request.
  uv_buf_t b =
      uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data.data())), static_cast<unsigned>(data.size()));
  int rc = uv_udp_try_send(raw(), &b, 1, to);
  if (rc >= 0) return {};
  if (rc != UV_EAGAIN) return fail_uv(rc, "sending UDP datagram");
  if (send_queue_count() >= kMaxQueuedSends) return fail("UDP send queue full, datagram dropped");
  auto req = std::make_unique<SendReq>();
  req->data = std::make_unique<std::uint8_t[]>(data.size());
  std::memcpy(req->data.get(), data.data(), data.size());
  b = uv_buf_init(reinterpret_cast<char*>(req->data.get()), static_cast<unsigned>(data.size()));
  req->req.data = req.get();
  rc = uv_udp_send(&req->req, raw(), &b, 1, to, [](uv_udp_send_t* r, int) { delete static_cast<SendReq*>(r->data); });
  if (rc < 0) return fail_uv(rc, "sending UDP datagram");
  req.release();
  return {};
}

Result<sockaddr_storage> UvUdp::local_address() const {
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = uv_udp_getsockname(raw(), reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc < 0) return fail_uv(rc, "uv_udp_getsockname");
  return ss;
}

std::size_t UvUdp::send_queue_count() const noexcept { return uv_udp_get_send_queue_count(raw()); }

std::string format_sockaddr(const sockaddr* addr) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (addr == nullptr) return "?";
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

Result<sockaddr_storage> make_sockaddr(const std::string& ip, std::uint16_t port) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  if (::inet_pton(AF_INET, ip.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    return ss;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  std::string bare = ip;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  if (::inet_pton(AF_INET6, bare.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    return ss;
  }
  return fail("invalid IP address '" + ip + "'");
}

std::uint16_t sockaddr_port(const sockaddr* addr) noexcept {
  if (addr->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
  if (addr->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port);
  return 0;
}

socklen_t sockaddr_len(const sockaddr* addr) noexcept {
  return addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace stack::net
