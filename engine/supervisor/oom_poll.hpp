#pragma once
// A container cgroup's OOM watch (cgroup::OomWatch: inotify on memory.events on v2, an
// eventfd for memory.oom_control on v1/hybrid) polled on the loop (style.md rule 9).
// Each time the fd is readable its pending notifications are drained and on_wake runs;
// a wake-up is no proof of a kill (driver.hpp): the owner re-reads the kill count.
//
// The poll owns the watch, so its fd is closed only after the uv_poll_t was closed
// (uv_poll(3): the fd must stay open while the handle is active).
#include <functional>

#include "engine/base/uv_handle.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::supervisor {

class OomPoll final : public UvHandle<uv_poll_t> {
 public:
  static Result<UvOwned<OomPoll>> create(uv_loop_t* loop, cgroup::OomWatch watch, std::function<void()> on_wake);

 private:
  OomPoll(cgroup::OomWatch watch, std::function<void()> cb) : watch_(std::move(watch)), on_wake_(std::move(cb)) {}
  ~OomPoll() override = default;  // after the close callback: closes the watch's fds
  void on_close() noexcept override { uv_poll_stop(raw()); }
  static void on_poll(uv_poll_t* h, int status, int events);

  cgroup::OomWatch watch_;
  std::function<void()> on_wake_;
};

}  // namespace stack::supervisor
