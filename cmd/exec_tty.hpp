#pragma once
// The client's half of a pty (`exec`, and `run` with a tty): the terminal in raw mode
// (restored on every exit path), the window size copied onto the pty master now and on
// each SIGWINCH, bytes relayed both ways until the process ended.
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

// Something the relay watches besides the terminal: when fd is readable, ready() runs;
// it returns true once the process has ended.
struct RelayWatch {
  int fd = -1;
  std::function<Result<bool>()> ready;
};

// Relays between stdin/stdout and master until a watch says the process ended; what it
// wrote is then drained from the master (until 200 ms pass without output: a background
// child may hold the slave open).
Result<void> relay_pty(UniqueFd master, const std::vector<RelayWatch>& watches);

// exec: relays until the request's final message arrives on c; returns its body.
Result<nlohmann::json> relay_tty(supervisor::ControlClient& c, UniqueFd master);

}  // namespace stack::cli
