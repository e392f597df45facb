#include "network/uv_tcp.hpp"

#include <sys/socket.h>

#include <cstring>
#include <new>

#include "network/uv_udp.hpp"

namespace stack::net {

namespace {

struct WriteReq {
  uv_write_t req{};
  Chunk chunk;
  std::string bytes;
  UvTcp::StatusCb on_done;
};

}  // namespace

Result<UvOwned<UvTcp>> UvTcp::create(uv_loop_t* loop) {
  UvOwned<UvTcp> t(new UvTcp());
  STACK_TRY(t->init_result(uv_tcp_init(loop, t->raw()), "uv_tcp_init"));
  return t;
}

Result<void> UvTcp::open(UniqueFd fd) {
  int rc = uv_tcp_open(raw(), fd.get());
  if (rc < 0) return fail_uv(rc, "uv_tcp_open");
  fd.release();  // libuv owns it now and closes it with the handle
  return {};
}

Result<void> UvTcp::bind(const sockaddr* addr) {
  int rc = uv_tcp_bind(raw(), addr, 0);
  if (rc < 0) return fail_uv(rc, "binding TCP socket to " + format_sockaddr(addr));
  return {};
}

Result<void> UvTcp::listen(int backlog, StatusCb on_connection) {
  connection_cb_ = std::move(on_connection);
  int rc = uv_listen(stream(), backlog, [](uv_stream_t* s, int status) {
    auto* self = owner<UvTcp>(reinterpret_cast<uv_tcp_t*>(s));
    if (!self->closing() && self->connection_cb_) self->connection_cb_(status);
  });
  if (rc < 0) return fail_uv(rc, "uv_listen");
  return {};
}

Result<UvOwned<UvTcp>> UvTcp::accept() {
  auto client = UvTcp::create(loop());
  if (!client) return client;
  int rc = uv_accept(stream(), (*client)->stream());
  if (rc < 0) return fail_uv(rc, "uv_accept");
  return client;
}

Result<void> UvTcp::connect(const sockaddr* addr, StatusCb cb) {
  connect_cb_ = std::move(cb);
  connect_req_.data = this;
  int rc = uv_tcp_connect(&connect_req_, raw(), addr, [](uv_connect_t* r, int status) {
    auto* self = static_cast<UvTcp*>(r->data);
    if (!self->closing() && self->connect_cb_) self->connect_cb_(status);
  });
  if (rc < 0) return fail_uv(rc, "connecting to " + format_sockaddr(addr));
  return {};
}

Result<void> UvTcp::read_start(ReadCb cb) {
  read_cb_ = std::move(cb);
  return read_resume();
}

Result<void> UvTcp::read_resume() {
  if (closing()) return fail("TCP stream is closing");
  int rc = uv_read_start(
      stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<UvTcp*>(static_cast<UvHandleBase*>(h->data));
        char* mem = self->spare_ ? self->spare_.release() : new (std::nothrow) char[kReadSize];
        *buf = uv_buf_init(mem, mem != nullptr ? kReadSize : 0);  // ownership: see read_cb
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = owner<UvTcp>(reinterpret_cast<uv_tcp_t*>(s));
        std::unique_ptr<char[]> mem(buf->base);
        Chunk chunk;
        if (nread > 0 && static_cast<std::size_t>(nread) < kCopyBelow) {
          chunk.data = std::make_unique<char[]>(static_cast<std::size_t>(nread));
          std::memcpy(chunk.data.get(), mem.get(), static_cast<std::size_t>(nread));
          chunk.size = static_cast<std::size_t>(nread);
        } else if (nread > 0) {
          chunk.data = std::move(mem);
          chunk.size = static_cast<std::size_t>(nread);
        }
        if (mem && !self->spare_) self->spare_ = std::move(mem);
        if (nread == 0 || self->closing() || !self->read_cb_) return;  // 0 is EAGAIN
        self->read_cb_(nread, std::move(chunk));
      });
  if (rc < 0) return fail_uv(rc, "uv_read_start");
  return {};
}

void UvTcp::read_stop() noexcept { uv_read_stop(stream()); }

static Result<void> submit_write(uv_stream_t* s, std::unique_ptr<WriteReq> req, uv_buf_t buf) {
  req->req.data = req.get();
  int rc = uv_write(&req->req, s, &buf, 1, [](uv_write_t* r, int status) {
    std::unique_ptr<WriteReq> done(static_cast<WriteReq*>(r->data));
    auto* self = static_cast<UvHandleBase*>(r->handle->data);
    if (!self->closing() && done->on_done) done->on_done(status);
  });
  if (rc < 0) return fail_uv(rc, "uv_write");
  req.release();
  return {};
}

Result<void> UvTcp::write(Chunk chunk, StatusCb on_done) {
  if (closing()) return fail("TCP stream is closing");
  auto req = std::make_unique<WriteReq>();
  uv_buf_t buf = uv_buf_init(chunk.data.get(), static_cast<unsigned>(chunk.size));
  req->chunk = std::move(chunk);
  req->on_done = std::move(on_done);
  return submit_write(stream(), std::move(req), buf);
}

Result<void> UvTcp::write(const std::string& bytes, StatusCb on_done) {
  if (closing()) return fail("TCP stream is closing");
  auto req = std::make_unique<WriteReq>();
  req->bytes = bytes;
  req->on_done = std::move(on_done);
  uv_buf_t buf = uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size()));
  return submit_write(stream(), std::move(req), buf);
}

Result<void> UvTcp::shutdown(StatusCb cb) {
  shutdown_cb_ = std::move(cb);
  shutdown_req_.data = this;
  int rc = uv_shutdown(&shutdown_req_, stream(), [](uv_shutdown_t* r, int status) {
    auto* self = static_cast<UvTcp*>(r->data);
    if (!self->closing() && self->shutdown_cb_) self->shutdown_cb_(status);
  });
  if (rc < 0) return fail_uv(rc, "uv_shutdown");
  return {};
}

Result<sockaddr_storage> UvTcp::local_address() const {
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = uv_tcp_getsockname(raw(), reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc < 0) return fail_uv(rc, "uv_tcp_getsockname");
  return ss;
}

void UvTcp::reset_and_close() noexcept {
  uv_os_fd_t fd;
  if (!closing() && uv_fileno(uv_base(), &fd) == 0) {
    linger l{1, 0};  // tcp(7): linger 0 makes close() send RST
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close();
}

}  // namespace stack::net
