#include "cmd/stats_format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace stack::cli {
namespace {

std::string custom_size(const char* format, double size, double base, const char* const* units, int n) {
  int i = 0;
  while (size >= base && i < n - 1) {
    size /= base;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, format, size, units[i]);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

}  // namespace

nlohmann::json to_json(const StatsSample& s) {
  return {{"Name", s.name},
          {"Service", s.service},
          {"cpu_usage_ns", s.cpu_usage_ns},
          {"system_cpu_ns", s.system_cpu_ns},
          {"online_cpus", s.online_cpus},
          {"memory_usage", s.memory_usage},
          {"memory_inactive_file", s.memory_inactive_file},
          {"memory_limit", s.memory_limit},
          {"net_rx_bytes", s.net_rx_bytes},
          {"net_tx_bytes", s.net_tx_bytes},
          {"net_rx_packets", s.net_rx_packets},
          {"net_tx_packets", s.net_tx_packets},
          {"net_limit", s.net_limit},
          {"io_read_bytes", s.io_read_bytes},
          {"io_write_bytes", s.io_write_bytes},
          {"pids", s.pids}};
}

StatsSample sample_from_json(const nlohmann::json& j) {
  StatsSample s;
  s.name = j.value("Name", "");
  s.service = j.value("Service", "");
  s.cpu_usage_ns = j.value("cpu_usage_ns", uint64_t{0});
  s.system_cpu_ns = j.value("system_cpu_ns", uint64_t{0});
  s.online_cpus = j.value("online_cpus", uint32_t{0});
  s.memory_usage = j.value("memory_usage", uint64_t{0});
  s.memory_inactive_file = j.value("memory_inactive_file", uint64_t{0});
  s.memory_limit = j.value("memory_limit", uint64_t{0});
  s.net_rx_bytes = j.value("net_rx_bytes", uint64_t{0});
  s.net_tx_bytes = j.value("net_tx_bytes", uint64_t{0});
  s.net_rx_packets = j.value("net_rx_packets", uint64_t{0});
  s.net_tx_packets = j.value("net_tx_packets", uint64_t{0});
  s.net_limit = j.value("net_limit", "");
  s.io_read_bytes = j.value("io_read_bytes", uint64_t{0});
  s.io_write_bytes = j.value("io_write_bytes", uint64_t{0});
  s.pids = j.value("pids", uint64_t{0});
  return s;
}

double cpu_percent(const StatsSample& previous, const StatsSample& current) {
  if (current.cpu_usage_ns <= previous.cpu_usage_ns || current.system_cpu_ns <= previous.system_cpu_ns) return 0.0;
  double cpu = static_cast<double>(current.cpu_usage_ns - previous.cpu_usage_ns);
  double system = static_cast<double>(current.system_cpu_ns - previous.system_cpu_ns);
  return cpu / system * static_cast<double>(current.online_cpus) * 100.0;
}

uint64_t memory_no_cache(const StatsSample& s) {
  return s.memory_inactive_file < s.memory_usage ? s.memory_usage - s.memory_inactive_file : s.memory_usage;
}

double memory_percent(const StatsSample& s) {
  if (s.memory_limit == 0) return 0.0;
  return static_cast<double>(memory_no_cache(s)) / static_cast<double>(s.memory_limit) * 100.0;
}

std::string binary_size(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  return custom_size("%.4g%s", bytes, 1024.0, kUnits, 9);
}

std::string decimal_size(double bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  return custom_size("%.3g%s", bytes, 1000.0, kUnits, 9);
}

std::optional<uint64_t> parse_proc_stat_ns(std::string_view text, long clock_ticks) {
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key;
    if (!(f >> key) || key != "cpu") continue;
    uint64_t total = 0, v = 0;
    for (int i = 0; i < 8 && f >> v; ++i) total += v;
    if (clock_ticks <= 0) return std::nullopt;
    return total * (1'000'000'000ULL / static_cast<uint64_t>(clock_ticks));
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_meminfo_total(std::string_view text) {
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string key;
    uint64_t kib = 0;
    if (f >> key >> kib && key == "MemTotal:") return kib * 1024;
  }
  return std::nullopt;
}

nlohmann::json stats_row(const StatsSample& current, const StatsSample* previous) {
  double cpu = previous ? cpu_percent(*previous, current) : 0.0;
  auto mem = static_cast<double>(memory_no_cache(current));
  return {{"BlockIO", decimal_size(static_cast<double>(current.io_read_bytes)) + " / " +
                          decimal_size(static_cast<double>(current.io_write_bytes))},
          {"CPUPerc", percent(cpu)},
          {"Container", current.name},
          {"MemPerc", percent(memory_percent(current))},
          {"MemUsage", binary_size(mem) + " / " + binary_size(static_cast<double>(current.memory_limit))},
          {"Name", current.name},
          {"NetIO", decimal_size(static_cast<double>(current.net_rx_bytes)) + " / " +
                        decimal_size(static_cast<double>(current.net_tx_bytes))},
          {"NetPackets", std::to_string(current.net_rx_packets) + " / " + std::to_string(current.net_tx_packets)},
          {"NetLimit", current.net_limit},
          {"PIDs", std::to_string(current.pids)}};
}

std::string align_columns(const std::vector<std::vector<std::string>>& cells, std::size_t min_width) {
  std::vector<std::size_t> width;
  for (const auto& line : cells)
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], std::max<std::size_t>(line[i].size() + 3, min_width));
    }
  std::string out;
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out += line[i];
      if (i + 1 < line.size()) out.append(width[i] - line[i].size(), ' ');
    }
    out += '\n';
  }
  return out;
}

std::string stats_table(const std::vector<nlohmann::json>& rows) {
  static const std::pair<const char*, const char*> kColumns[] = {
      {"NAME", "Name"},     {"CPU %", "CPUPerc"},     {"MEM USAGE / LIMIT", "MemUsage"}, {"MEM %", "MemPerc"},
      {"NET I/O", "NetIO"}, {"BLOCK I/O", "BlockIO"}, {"PIDS", "PIDs"}};
  bool limits =
      std::any_of(rows.begin(), rows.end(), [](const nlohmann::json& r) { return !r.value("NetLimit", "").empty(); });
  std::vector<std::vector<std::string>> cells{{}};
  for (const auto& [title, key] : kColumns) cells[0].push_back(title);
  if (limits) cells[0].push_back("NET LIMIT");
  for (const auto& r : rows) {
    cells.emplace_back();
    for (const auto& [title, key] : kColumns) cells.back().push_back(r.value(key, ""));
    if (limits) cells.back().push_back(r.value("NetLimit", ""));
  }
  return align_columns(cells, 10);
}

}  // namespace stack::cli
