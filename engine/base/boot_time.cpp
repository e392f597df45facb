#include "engine/base/boot_time.hpp"

#include <sstream>
#include <string>

#include "engine/base/file.hpp"

namespace stack {

std::optional<int64_t> parse_boot_time(std::string_view proc_stat) {
  std::istringstream in{std::string(proc_stat)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key;
    int64_t v = 0;
    if (f >> key && key == "btime" && f >> v) return v;
  }
  return std::nullopt;
}

std::optional<int64_t> boot_time() {
  auto text = read_file("/proc/stat");
  if (!text) return std::nullopt;
  return parse_boot_time(*text);
}

}  // namespace stack
