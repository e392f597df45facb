#include "engine/supervisor/oom_poll.hpp"

namespace stack::supervisor {

Result<UvOwned<OomPoll>> OomPoll::create(uv_loop_t* loop, cgroup::OomWatch watch, std::function<void()> on_wake) {
  if (!watch.valid()) return fail("the OOM watch is not open");
  UvOwned<OomPoll> p(new OomPoll(std::move(watch), std::move(on_wake)));
  STACK_TRY(p->init_result(uv_poll_init(loop, p->raw(), p->watch_.fd()), "failed to poll the OOM watch"));
  int rc = uv_poll_start(p->raw(), UV_READABLE, &OomPoll::on_poll);
  if (rc < 0) return fail_uv(rc, "failed to poll the OOM watch");
  return p;
}

void OomPoll::on_poll(uv_poll_t* h, int, int) {
  // A drain that fails would leave the fd readable: stop polling rather than spin the
  // loop (the owner still reads the count when the run ends).
  auto* self = owner<OomPoll>(h);
  if (self->closing()) return;
  if (!self->watch_.drain()) uv_poll_stop(h);
  if (self->on_wake_) self->on_wake_();
}

}  // namespace stack::supervisor
