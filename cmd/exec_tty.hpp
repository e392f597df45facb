#pragma once
// The client's half of `exec` with a pty: the terminal in raw mode (restored on every
// exit path), the window size copied onto the pty master now and on each SIGWINCH,
// bytes relayed both ways until the supervisor's reply says the process ended.
#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

// Relays between stdin/stdout and master until the request's final message arrives
// on c; returns that message's body.
Result<nlohmann::json> relay_tty(supervisor::ControlClient& c, UniqueFd master);

}  // namespace stack::cli
