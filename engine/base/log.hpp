#pragma once
// Logging goes through spdlog; the CLI sets the level (--debug) and the sink (stderr).
#include <spdlog/spdlog.h>

namespace stack::log {
using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;
void init(bool debug);
}  // namespace stack::log
