#pragma once
// Values with units, parsed as docker compose parses them (go-units, time.ParseDuration).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::model {

// Bytes from "512m", "1.5G", "1gb", "100k", "2048" (RAMInBytes: binary multiples,
// case-insensitive suffix b/k/m/g/t/p with an optional trailing b).
Result<int64_t> parse_size(std::string_view text);

// Nanoseconds from a Go duration: "1m30s", "500ms", "1h", "1.5s", "10us", "0".
Result<int64_t> parse_duration_ns(std::string_view text);
// The Go spelling of a duration, as compose prints it: 90s -> "1m30s", 500ms -> "500ms".
std::string format_duration(int64_t ns);

// cpus as a decimal string or number: "0.5", "2" (>= 0, finite).
Result<double> parse_cpus(std::string_view text);

// Splits a command string like a POSIX shell does (go-shellwords, as compose does for
// `command: echo "a b"`): quotes, backslash escapes; no expansion. Unclosed quote: error.
Result<std::vector<std::string>> shell_split(std::string_view text);

}  // namespace stack::model
