#pragma once
// One owner class per libuv handle (style.md rule 9).
//
// libuv may still touch a handle after uv_close() until its close callback has run
// (uv_close(3): "the handle's memory must remain valid until close_cb is called"), so
// an owner class embeds the uv struct, is neither copyable nor movable (the struct's
// address is registered in the loop), and frees itself only from the close callback.
// Code holds a handle through `UvOwned<T>`: dropping it calls close(), never delete.
//
//   auto timer = Timer::create(loop);     // Result<UvOwned<Timer>>
//   timer->start(...);
//   timer.reset();                        // uv_close now, memory freed in close_cb
//
// Tests finish with `uv_close_loop(loop)` which runs the loop until every pending close
// has completed and then checks that uv_loop_close() returns 0.
#include <uv.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack {

// "what: uv_strerror(rc)"; libuv's error codes on Unix are negated errno values.
Unexpected<Error> fail_uv(int rc, std::string_view what);

class UvHandleBase {
 public:
  UvHandleBase(const UvHandleBase&) = delete;
  UvHandleBase& operator=(const UvHandleBase&) = delete;
  UvHandleBase(UvHandleBase&&) = delete;
  UvHandleBase& operator=(UvHandleBase&&) = delete;

  // Idempotent. After close() no user callback runs any more; the object is deleted
  // from the close callback (or at once if the handle was never initialised).
  void close() noexcept;
  bool closing() const noexcept { return closing_; }
  uv_handle_t* uv_base() noexcept { return base_; }
  uv_loop_t* loop() const noexcept { return base_->loop; }

 protected:
  explicit UvHandleBase(uv_handle_t* base) noexcept : base_(base) {}
  // Only the close callback (or close() of a never-initialised handle) deletes.
  virtual ~UvHandleBase() = default;
  // Called with the result of uv_<kind>_init: on success the handle is registered
  // with the loop and from then on must be closed with uv_close.
  Result<void> init_result(int rc, std::string_view what);
  // Lets a derived class stop timers or requests before the handle closes.
  virtual void on_close() noexcept {}

 private:
  static void closed_cb(uv_handle_t* h) noexcept;

  uv_handle_t* base_;
  bool initialized_ = false;
  bool closing_ = false;
};

// H is the embedded uv struct type (uv_tcp_t, uv_udp_t, uv_timer_t, ...).
template <typename H>
class UvHandle : public UvHandleBase {
 public:
  H* raw() noexcept { return &handle_; }
  const H* raw() const noexcept { return &handle_; }

 protected:
  UvHandle() noexcept : UvHandleBase(reinterpret_cast<uv_handle_t*>(&handle_)) {}

  // Recovers the owner from a uv callback's handle pointer.
  template <typename Derived>
  static Derived* owner(H* h) noexcept {
    return static_cast<Derived*>(static_cast<UvHandleBase*>(h->data));
  }

 private:
  H handle_{};
};

struct UvCloser {
  void operator()(UvHandleBase* h) const noexcept { h->close(); }
};

// The owning pointer: its deleter closes the handle instead of deleting it.
template <typename T>
using UvOwned = std::unique_ptr<T, UvCloser>;

// Number of handles on the loop whose uv_close() has not yet called back.
std::size_t uv_pending_closes(uv_loop_t* loop) noexcept;

// Runs the loop without blocking until no close is pending (close callbacks run in
// the "closing handles" phase of an iteration, uv_run(3)).
void uv_drain_closes(uv_loop_t* loop) noexcept;

// Drains pending closes, then uv_loop_close(). Fails naming every handle still open
// (type and active state), which means an owner forgot to close it.
Result<void> uv_close_loop(uv_loop_t* loop);

}  // namespace stack
