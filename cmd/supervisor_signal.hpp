#pragma once
// A signal on the supervisor's loop (uv_signal_start(3)): SIGTERM to the supervisor
// stops the stack as `down` does, so a host shutdown leaves nothing behind.
#include <functional>

#include "engine/base/uv_handle.hpp"

namespace stack::cli {

class SignalWatch final : public UvHandle<uv_signal_t> {
 public:
  static Result<UvOwned<SignalWatch>> create(uv_loop_t* loop, int signum, std::function<void()> cb);

 private:
  SignalWatch() = default;
  std::function<void()> cb_;
};

}  // namespace stack::cli
