#pragma once
// When this boot of the kernel began: /proc/stat's btime (seconds since the epoch).
// `top` turns process start ticks into times with it; cleanup tells what an earlier boot
// left behind by it.
#include <cstdint>
#include <optional>
#include <string_view>

namespace stack {

// The btime line of /proc/stat's text.
std::optional<int64_t> parse_boot_time(std::string_view proc_stat);
// This host's, read from /proc/stat; nullopt if it cannot be read.
std::optional<int64_t> boot_time();

}  // namespace stack
