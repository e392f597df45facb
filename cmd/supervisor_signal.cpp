#include "cmd/supervisor_signal.hpp"

namespace stack::cli {

Result<UvOwned<SignalWatch>> SignalWatch::create(uv_loop_t* loop, int signum, std::function<void()> cb) {
  UvOwned<SignalWatch> w(new SignalWatch());
  STACK_TRY(w->init_result(uv_signal_init(loop, w->raw()), "uv_signal_init"));
  w->cb_ = std::move(cb);
  int rc = uv_signal_start(
      w->raw(),
      [](uv_signal_t* h, int) {
        auto* self = owner<SignalWatch>(h);
        if (!self->closing() && self->cb_) self->cb_();
      },
      signum);
  if (rc < 0) return fail_uv(rc, "uv_signal_start");
  return w;
}

}  // namespace stack::cli
