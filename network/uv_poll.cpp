#include "network/uv_poll.hpp"

namespace stack::net {

Result<UvOwned<UvPoll>> UvPoll::create(uv_loop_t* loop, UniqueFd fd) {
  UvOwned<UvPoll> p(new UvPoll());
  p->fd_ = std::move(fd);
  STACK_TRY(p->init_result(uv_poll_init_socket(loop, p->raw(), p->fd_.get()), "uv_poll_init_socket"));
  return p;
}

Result<void> UvPoll::watch(int events, EventCb cb) {
  cb_ = std::move(cb);
  return watch(events);
}

Result<void> UvPoll::watch(int events) {
  if (closing()) return fail("poll handle is closing");
  if (events == events_) return {};
  events_ = events;
  if (events == 0) {
    uv_poll_stop(raw());
    return {};
  }
  int rc = uv_poll_start(raw(), events, [](uv_poll_t* h, int status, int ev) {
    auto* self = owner<UvPoll>(h);
    if (!self->closing() && self->cb_) self->cb_(status, ev);
  });
  if (rc < 0) return fail_uv(rc, "uv_poll_start");
  return {};
}

}  // namespace stack::net
