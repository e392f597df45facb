#include "network/proxy_splice_conn.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/log.hpp"
#include "network/uv_udp.hpp"

namespace stack::net {

namespace {

constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

void set_linger_zero(int fd) {
  linger l{1, 0};  // tcp(7): close() then sends RST
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

}  // namespace

Result<std::size_t> make_splice_pipe(UniqueFd& r, UniqueFd& w, int size) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return fail_errno("pipe2");
  r.reset(fds[0]);
  w.reset(fds[1]);
  int got = ::fcntl(w.get(), F_SETPIPE_SZ, size);  // may exceed pipe-max-size: keep the default
  if (got < 0) got = ::fcntl(w.get(), F_GETPIPE_SZ);
  return got > 0 ? static_cast<std::size_t>(got) : std::size_t{65536};
}

TcpSpliceConn::TcpSpliceConn(uv_loop_t* loop, TcpProxyLimits limits, std::function<void()> done)
    : loop_(loop), limits_(limits), done_(std::move(done)) {}

Result<void> TcpSpliceConn::make_pipes() {
  auto up = make_splice_pipe(up_.r, up_.w, kPipeSize);
  if (!up) return unexpected(up.error().wrap("making a pipe for splice"));
  up_.capacity = *up;
  auto down = make_splice_pipe(down_.r, down_.w, kPipeSize);
  if (!down) return unexpected(down.error().wrap("making a pipe for splice"));
  down_.capacity = *down;
  return {};
}

Result<void> TcpSpliceConn::start(UniqueFd client, const sockaddr* backend) {
  if (!up_.w || !down_.w) return fail("splice pipes not made");
  UniqueFd sock(::socket(backend->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("socket");
  int one = 1;
  ::setsockopt(sock.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bool refused = ::connect(sock.get(), backend, sockaddr_len(backend)) < 0 && errno != EINPROGRESS;
  int connect_errno = errno;
  auto c = UvPoll::create(loop_, std::move(client));
  if (!c) return unexpected(std::move(c).error());
  client_ = std::move(*c);
  auto b = UvPoll::create(loop_, std::move(sock));
  if (!b) return unexpected(std::move(b).error());
  backend_ = std::move(*b);
  auto t = UvTimer::create(loop_);
  if (!t) return unexpected(std::move(t).error());
  connect_timer_ = std::move(*t);
  if (refused) {
    log::debug("proxy: connecting to {}: {}", format_sockaddr(backend), std::strerror(connect_errno));
    finish(true);
    return {};
  }
  // Writable means the connect finished, one way or the other (connect(2), EINPROGRESS).
  STACK_TRY(backend_->watch(UV_WRITABLE, [this](int status, int) { on_connect_ready(status); }));
  STACK_TRY(connect_timer_->start(limits_.connect_timeout_ms, 0, [this] { finish(true); }));
  return {};
}

void TcpSpliceConn::on_connect_ready(int status) {
  int err = 0;
  socklen_t len = sizeof err;
  if (status < 0 || ::getsockopt(backend_->fd(), SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
    log::debug("proxy: connecting to the container: {}", std::strerror(err != 0 ? err : errno));
    return finish(true);  // RST tells the client at once that nothing is there
  }
  connected_ = true;
  connect_timer_.reset();
  auto ok = client_->watch(0, [this](int s, int ev) { on_event(true, s, ev); });
  if (ok) ok = backend_->watch(0, [this](int s, int ev) { on_event(false, s, ev); });
  if (!ok) return finish(true);
  update_interest();
}

bool TcpSpliceConn::flush(Pipe& p, int to) {
  while (p.bytes > 0) {
    ssize_t n = ::splice(p.r.get(), nullptr, to, nullptr, p.bytes, kSpliceFlags);
    if (n > 0) {
      p.bytes -= static_cast<std::size_t>(n);
      p.full = false;
      continue;
    }
    return n < 0 && errno == EAGAIN;  // the socket is full: wait for writable
  }
  if (p.eof && !p.shut) {
    // Everything before the FIN has been written: pass the FIN on (half-close).
    if (::shutdown(to, SHUT_WR) < 0) return false;
    p.shut = true;
  }
  return true;
}

bool TcpSpliceConn::pump(int from, Pipe& p, int to) {
  while (!p.eof && !p.full && p.bytes < p.capacity) {
    ssize_t n = ::splice(from, nullptr, p.w.get(), nullptr, p.capacity - p.bytes, kSpliceFlags);
    if (n > 0) {
      p.bytes += static_cast<std::size_t>(n);
      if (!flush(p, to)) return false;
      continue;
    }
    if (n == 0) {
      p.eof = true;
      break;
    }
    if (errno != EAGAIN) return false;
    p.full = p.bytes > 0;  // the socket was empty or the pipe out of slots
    break;
  }
  return flush(p, to);
}

void TcpSpliceConn::on_event(bool client_side, int status, int events) {
  if (status < 0) return finish(true);
  int self = client_side ? client_->fd() : backend_->fd();
  int peer = client_side ? backend_->fd() : client_->fd();
  Pipe& out = client_side ? up_ : down_;  // bytes from this side
  Pipe& in = client_side ? down_ : up_;   // bytes to this side
  bool ok = true;
  if (events & UV_WRITABLE) ok = flush(in, self);
  if (ok && (events & UV_READABLE)) ok = pump(self, out, peer);
  if (!ok) return finish(true);
  if (up_.shut && down_.shut) return finish(false);  // both FINs passed on
  update_interest();
}

void TcpSpliceConn::update_interest() {
  auto mask = [](const Pipe& from_me, const Pipe& to_me) {
    int ev = 0;
    if (!from_me.eof && !from_me.full && from_me.bytes < from_me.capacity) ev |= UV_READABLE;
    if (to_me.bytes > 0) ev |= UV_WRITABLE;
    return ev;
  };
  auto ok = client_->watch(mask(up_, down_));
  if (ok) ok = backend_->watch(mask(down_, up_));
  if (!ok) finish(true);
}

void TcpSpliceConn::finish(bool reset) {
  if (finished_) return;
  finished_ = true;
  connect_timer_.reset();
  for (UvOwned<UvPoll>* p : {&client_, &backend_}) {
    if (!*p) continue;
    if (reset) set_linger_zero((*p)->fd());
    p->reset();  // the fd closes after the handle's close callback
  }
  auto done = std::move(done_);
  if (done) done();
}

}  // namespace stack::net
