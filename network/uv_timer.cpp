#include "network/uv_timer.hpp"

namespace stack::net {

Result<UvOwned<UvTimer>> UvTimer::create(uv_loop_t* loop) {
  UvOwned<UvTimer> t(new UvTimer());
  STACK_TRY(t->init_result(uv_timer_init(loop, t->raw()), "uv_timer_init"));
  return t;
}

Result<void> UvTimer::start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> cb) {
  cb_ = std::move(cb);
  int rc = uv_timer_start(
      raw(),
      [](uv_timer_t* h) {
        auto* self = owner<UvTimer>(h);
        if (!self->closing() && self->cb_) self->cb_();
      },
      timeout_ms, repeat_ms);
  if (rc < 0) return fail_uv(rc, "uv_timer_start");
  return {};
}

void UvTimer::stop() noexcept {
  uv_timer_stop(raw());  // a no-op on an inactive or never-initialised timer
}

}  // namespace stack::net
