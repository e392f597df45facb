#include "engine/supervisor/probe_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace stack::supervisor {

Result<UvOwned<ProbeOutput>> ProbeOutput::create(uv_loop_t* loop, UniqueFd read_end) {
  UvOwned<ProbeOutput> p(new ProbeOutput());
  int flags = ::fcntl(read_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(read_end.get(), F_SETFL, flags | O_NONBLOCK) < 0)
    return fail_errno("failed to make a probe's output pipe non-blocking");
  p->fd_ = std::move(read_end);
  STACK_TRY(p->init_result(uv_poll_init(loop, p->raw(), p->fd_.get()), "failed to watch a probe's output pipe"));
  int rc = uv_poll_start(p->raw(), UV_READABLE | UV_DISCONNECT, &ProbeOutput::on_poll);
  if (rc < 0) return fail_uv(rc, "failed to watch a probe's output pipe");
  return p;
}

bool ProbeOutput::read_available() {
  char buf[16 * 1024];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN;
    if (n == 0) return false;
    std::size_t keep = std::min(kProbeOutputMax - kept_.size(), static_cast<std::size_t>(n));
    kept_.append(buf, keep);
    if (keep < static_cast<std::size_t>(n)) truncated_ = true;
  }
}

void ProbeOutput::on_poll(uv_poll_t* h, int, int) {
  auto* self = owner<ProbeOutput>(h);
  if (self->closing() || self->done_) return;
  if (!self->read_available()) {
    self->done_ = true;
    uv_poll_stop(h);
  }
}

void ProbeOutput::drain() {
  if (done_) return;
  (void)read_available();
  done_ = true;
  uv_poll_stop(raw());
}

}  // namespace stack::supervisor
