#include "engine/base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace stack::log {

void init(bool debug) {
  auto logger = spdlog::stderr_color_mt("stack");
  logger->set_pattern(debug ? "%H:%M:%S.%e %^%l%$ %v" : "%^%l%$: %v");
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace stack::log
