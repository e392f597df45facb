#include "engine/base/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace stack::log {
namespace {

spdlog::level::level_enum spdlog_level(Level level) {
  switch (level) {
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: break;
  }
  return spdlog::level::err;
}

}  // namespace

void init(bool verbose) {
  auto logger = spdlog::stderr_color_mt("stack");
  logger->set_pattern(verbose ? "%H:%M:%S.%e %^%l%$ %v" : "%^%l%$: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

bool enabled(Level level) { return spdlog::should_log(spdlog_level(level)); }

void write(Level level, std::string_view line) { spdlog::log(spdlog_level(level), "{}", line); }

}  // namespace stack::log
