#pragma once
// The running stack's control socket, as the read-only commands (stats, top) find it:
// the project's name from the flags, its run-root layout, then a connection.
#include "cmd/registry.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

// "no such stack: NAME (no supervisor runs for it)" when nothing listens.
Result<supervisor::ControlClient> connect_stack(const Globals& g);

}  // namespace stack::cli
