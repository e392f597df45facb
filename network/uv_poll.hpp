#pragma once
// A libuv poll handle on a socket we own the fd of (style.md rule 9). Used where a
// uv_tcp_t cannot be: splice(2) needs the raw fd and readiness, not libuv's reads.
#include <functional>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::net {

class UvPoll final : public UvHandle<uv_poll_t> {
 public:
  // status < 0 is an error on the fd; events is a mask of UV_READABLE/UV_WRITABLE/UV_DISCONNECT.
  using EventCb = std::function<void(int status, int events)>;

  // Owns `fd`: it is closed after the handle (uv_poll_init_socket(3) says the fd must
  // stay open until the poll handle is closed).
  static Result<UvOwned<UvPoll>> create(uv_loop_t* loop, UniqueFd fd);

  // Replaces the interest mask; 0 stops polling.
  Result<void> watch(int events, EventCb cb);
  Result<void> watch(int events);
  int fd() const noexcept { return fd_.get(); }
  int events() const noexcept { return events_; }

 private:
  UvPoll() = default;
  ~UvPoll() override = default;  // after the close callback: closes fd_
  void on_close() noexcept override { uv_poll_stop(raw()); }

  UniqueFd fd_;
  EventCb cb_;
  int events_ = 0;
};

}  // namespace stack::net
