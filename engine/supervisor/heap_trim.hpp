#pragma once
// Gives the heap's free pages back to the kernel after the loop was busy.
//
// glibc's free() returns memory to the kernel only from the top of the heap, and only
// past M_TRIM_THRESHOLD (mallopt(3)): what start-up frees below blocks that live on
// (the stack file's YAML tree, image configs, launch plans) stays resident for the
// supervisor's whole life. malloc_trim(3) releases every free page. The loop calls
// busy() after each iteration; the trimmer trims at once when the last trim is
// `interval` old, else arms a timer, so the end of a busy spell is trimmed too and an
// idle loop is never woken for it.
#include <cstdint>

#include "engine/base/uv_handle.hpp"

namespace stack::supervisor {

class HeapTrimmer final : public UvHandle<uv_timer_t> {
 public:
  // The timer is unref'd: it never keeps the loop alive by itself.
  static Result<UvOwned<HeapTrimmer>> create(uv_loop_t* loop, uint64_t interval_ms);
  void busy();
  uint64_t trims() const { return trims_; }

 private:
  explicit HeapTrimmer(uint64_t interval_ms) : interval_ms_(interval_ms) {}
  static void on_timer(uv_timer_t* t);
  void trim();

  uint64_t interval_ms_;
  uint64_t last_ms_ = 0;
  uint64_t trims_ = 0;
  bool armed_ = false;
  bool timer_fired_ = false;  // the iteration that ran the timer is not work to trim after
};

}  // namespace stack::supervisor
