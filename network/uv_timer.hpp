#pragma once
// A libuv timer owned per style.md rule 9 (see engine/base/uv_handle.hpp).
#include <cstdint>
#include <functional>

#include "engine/base/uv_handle.hpp"

namespace stack::net {

class UvTimer final : public UvHandle<uv_timer_t> {
 public:
  static Result<UvOwned<UvTimer>> create(uv_loop_t* loop);

  // Fires after timeout_ms, then every repeat_ms if non-zero (uv_timer_start(3)).
  Result<void> start(std::uint64_t timeout_ms, std::uint64_t repeat_ms, std::function<void()> cb);
  void stop() noexcept;

 private:
  UvTimer() = default;
  ~UvTimer() override = default;
  void on_close() noexcept override { stop(); }

  std::function<void()> cb_;
};

}  // namespace stack::net
