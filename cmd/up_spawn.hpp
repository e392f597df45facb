#pragma once
// `up`'s way to a supervisor: connect to the stack's control socket, or start the
// supervisor (fork, setsid, stdio to <stack dir>/supervisor.log, exec of this binary's
// `__supervisor`) and connect once it listens. A supervisor that finds the stack
// locked exits with 3: another `up` is starting it, so this one waits for its socket.
#include <chrono>

#include "cmd/registry.hpp"
#include "engine/model/project.hpp"
#include "engine/state/layout.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

std::string supervisor_log(const state::Layout& layout);

// load_token, if given, is set when this call started the supervisor: a random word the
// supervisor was given too. up sends it with its apply ("load_token"), and the supervisor's
// first apply then takes the project it loaded at start (from the same files, directory,
// environment and profiles, a moment before) instead of loading the files a third time
// on the way to the first container (~0.6 ms of an up of 30).
Result<supervisor::ControlClient> connect_or_start(const Globals& g, const model::Project& project,
                                                   const state::Layout& layout, std::chrono::milliseconds timeout,
                                                   std::string* load_token = nullptr);

}  // namespace stack::cli
