#include "engine/base/uv_handle.hpp"

#include <string>

namespace stack {

Unexpected<Error> fail_uv(int rc, std::string_view what) {
  return unexpected(Error{rc < 0 ? -rc : rc, std::string(what) + ": " + uv_strerror(rc)});
}

void UvHandleBase::close() noexcept {
  if (closing_) return;
  closing_ = true;
  on_close();
  if (!initialized_) {
    delete this;
    return;
  }
  uv_close(base_, &UvHandleBase::closed_cb);
}

Result<void> UvHandleBase::init_result(int rc, std::string_view what) {
  if (rc < 0) return fail_uv(rc, what);
  initialized_ = true;
  base_->data = this;
  return {};
}

void UvHandleBase::closed_cb(uv_handle_t* h) noexcept { delete static_cast<UvHandleBase*>(h->data); }

std::size_t uv_pending_closes(uv_loop_t* loop) noexcept {
  std::size_t n = 0;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) {
        if (uv_is_closing(h)) ++*static_cast<std::size_t*>(arg);
      },
      &n);
  return n;
}

void uv_drain_closes(uv_loop_t* loop) noexcept {
  // Each NOWAIT iteration runs the closing phase; a close callback may close more
  // handles (an owner of owners), hence the loop.
  while (uv_pending_closes(loop) > 0) uv_run(loop, UV_RUN_NOWAIT);
}

Result<void> uv_close_loop(uv_loop_t* loop) {
  uv_drain_closes(loop);
  int rc = uv_loop_close(loop);
  if (rc == 0) return {};
  std::string open;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) {
        auto* s = static_cast<std::string*>(arg);
        if (!s->empty()) *s += ", ";
        *s += uv_handle_type_name(uv_handle_get_type(h));
        if (uv_is_active(h)) *s += " (active)";
      },
      &open);
  return fail_uv(rc, "closing the event loop with open handles [" + open + "]");
}

}  // namespace stack
