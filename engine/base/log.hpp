#pragma once
// Logging goes through spdlog; the CLI sets the level (--debug) and the sink (stderr).
// Only log.cpp includes spdlog: a call formats here with fmt (its format string checked
// at compile time) and hands the line over, so that no other file compiles spdlog's
// headers now that it is built into the binaries (cmake/StaticDeps.cmake).
#include <fmt/core.h>

#include <string_view>
#include <utility>

namespace stack::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void init(bool verbose);
bool enabled(Level level);
void write(Level level, std::string_view line);

// log::warn("{}: {}", what, why): formats only when the level is on.
template <Level L>
struct At {
  template <typename... Args>
  void operator()(fmt::format_string<Args...> format, Args&&... args) const {
    if (enabled(L)) write(L, fmt::format(format, std::forward<Args>(args)...));
  }
};

inline constexpr At<Level::kDebug> debug{};
inline constexpr At<Level::kInfo> info{};
inline constexpr At<Level::kWarn> warn{};
inline constexpr At<Level::kError> error{};

}  // namespace stack::log
