#include "engine/supervisor/heap_trim.hpp"

#include <malloc.h>

namespace stack::supervisor {

Result<UvOwned<HeapTrimmer>> HeapTrimmer::create(uv_loop_t* loop, uint64_t interval_ms) {
  UvOwned<HeapTrimmer> t(new HeapTrimmer(interval_ms));
  STACK_TRY(t->init_result(uv_timer_init(loop, t->raw()), "failed to create the heap trim timer"));
  uv_unref(t->uv_base());
  return t;
}

void HeapTrimmer::busy() {
  if (closing()) return;
  if (timer_fired_) {
    timer_fired_ = false;
    return;
  }
  uint64_t now = uv_now(loop());
  if (trims_ == 0 || now - last_ms_ >= interval_ms_) {
    trim();
  } else if (!armed_) {
    armed_ = uv_timer_start(raw(), &HeapTrimmer::on_timer, interval_ms_ - (now - last_ms_), 0) == 0;
  }
}

void HeapTrimmer::on_timer(uv_timer_t* t) {
  auto* self = owner<HeapTrimmer>(t);
  self->armed_ = false;
  self->timer_fired_ = true;
  self->trim();
}

void HeapTrimmer::trim() {
  if (armed_) uv_timer_stop(raw());
  armed_ = false;
  ::malloc_trim(0);
  last_ms_ = uv_now(loop());
  ++trims_;
}

}  // namespace stack::supervisor
