#include "network/proxy_tcp_conn.hpp"

#include "engine/base/log.hpp"
#include "network/uv_udp.hpp"

namespace stack::net {

TcpProxyConn::TcpProxyConn(UvOwned<UvTcp> client, TcpProxyLimits limits, std::function<void()> done)
    : limits_(limits), done_(std::move(done)) {
  client_.stream = std::move(client);
}

void TcpProxyConn::start(const sockaddr* backend) {
  auto stream = UvTcp::create(client_.stream->loop());
  auto timer = UvTimer::create(client_.stream->loop());
  if (!stream || !timer) return finish(true);
  backend_.stream = std::move(*stream);
  connect_timer_ = std::move(*timer);
  uv_tcp_nodelay(client_.stream->raw(), 1);
  uv_tcp_nodelay(backend_.stream->raw(), 1);
  auto ok = backend_.stream->connect(backend, [this](int status) { on_connected(status); });
  if (ok) ok = connect_timer_->start(limits_.connect_timeout_ms, 0, [this] { on_connected(UV_ETIMEDOUT); });
  if (!ok) {
    log::debug("proxy: {}", ok.error().message);
    finish(true);
  }
}

void TcpProxyConn::on_connected(int status) {
  connect_timer_.reset();
  if (status < 0) {
    log::debug("proxy: connecting to the container: {}", uv_strerror(status));
    return finish(true);  // RST tells the client at once that nothing is there
  }
  auto ok = pump(client_, backend_);
  if (ok) ok = pump(backend_, client_);
  if (!ok) finish(true);
}

Result<void> TcpProxyConn::pump(Side& from, Side& to) {
  return from.stream->read_start(
      [this, &from, &to](ssize_t nread, Chunk chunk) { on_read(from, to, nread, std::move(chunk)); });
}

void TcpProxyConn::on_read(Side& from, Side& to, ssize_t nread, Chunk chunk) {
  if (nread == UV_EOF) {
    from.read_eof = true;
    from.stream->read_stop();
    // uv_shutdown(3) sends our FIN only after everything queued has been written.
    auto ok = to.stream->shutdown([this, &to](int status) {
      if (status < 0) return finish(true);
      to.shut = true;
      maybe_done();
    });
    if (!ok) finish(true);
    return;
  }
  if (nread < 0) return finish(true);
  // The chunk moves into the write: no copy in user space.
  auto ok = to.stream->write(std::move(chunk), [this, &from, &to](int status) { on_written(from, to, status); });
  if (!ok) return finish(true);
  if (to.stream->write_queue_size() > limits_.high_water) {
    from.stream->read_stop();
    from.paused = true;
  }
}

void TcpProxyConn::on_written(Side& from, Side& to, int status) {
  if (status < 0) return finish(true);
  if (from.paused && !from.read_eof && to.stream->write_queue_size() <= limits_.low_water) {
    from.paused = false;
    if (!from.stream->read_resume()) finish(true);
  }
}

void TcpProxyConn::maybe_done() {
  // Both FINs have been passed on and both peers are done sending.
  if (client_.read_eof && backend_.read_eof && client_.shut && backend_.shut) finish(false);
}

void TcpProxyConn::finish(bool reset) {
  if (finished_) return;
  finished_ = true;
  connect_timer_.reset();
  for (Side* s : {&client_, &backend_}) {
    if (!s->stream) continue;
    if (reset) s->stream->reset_and_close();
    s->stream.reset();  // closes; memory is freed in the close callback
  }
  // Last: this may delete us.
  auto done = std::move(done_);
  if (done) done();
}

}  // namespace stack::net
