#pragma once
// Foreground `up --abort-on-container-exit` / `--exit-code-from SERVICE`: while the logs
// are followed, the stack's containers are polled (ps, every 250 ms); the first one
// that exited for good (not restarting) stops the stack, and up returns its exit code,
// or that of SERVICE's container as the stop reported it (compose's behaviour).
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/state/layout.hpp"

namespace stack::cli {

class ExitWatch {
 public:
  ExitWatch(std::string control_socket, std::string exit_code_from)
      : socket_(std::move(control_socket)), from_(std::move(exit_code_from)) {}
  // True once a container exited (polls at most every 250 ms).
  bool exited();
  const std::string& first() const { return first_; }
  // The code up returns, given the "stop" reply ({"exits":[{name,service,code}]}).
  int code(const nlohmann::json& stop_reply) const;

 private:
  std::string socket_, from_, first_;
  int first_code_ = 0;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace stack::cli
