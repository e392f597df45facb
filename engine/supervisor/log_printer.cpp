#include "engine/supervisor/log_printer.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace stack::supervisor {
namespace {

// compose's rainbow: cyan, yellow, green, magenta, blue, then their intense forms.
constexpr const char* kRainbow[] = {"36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"};

}  // namespace

bool use_color(bool no_color_flag, int fd) {
  if (no_color_flag) return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  return ::isatty(fd) == 1;
}

std::string format_rfc3339_nano_fixed(int64_t time_ns) {
  time_t sec = static_cast<time_t>(time_ns / 1'000'000'000);
  long ns = static_cast<long>(time_ns % 1'000'000'000);
  if (ns < 0) {
    ns += 1'000'000'000;
    --sec;
  }
  tm t{};
  ::gmtime_r(&sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", t.tm_year + 1900, t.tm_mon + 1,
                t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ns);
  return buf;
}

void LogPrinter::add(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) return;
  names_.push_back(name);
  width_ = std::max(width_, name.size() + 1);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    std::string p = names_[i];
    p.resize(std::max(p.size(), width_), ' ');
    p += " | ";
    if (options_.color)
      p = std::string("\033[") + kRainbow[i % std::size(kRainbow)] + "m" + p + "\033[0m";
    prefixes_[names_[i]] = std::move(p);
  }
}

const std::string& LogPrinter::prefix(const std::string& name) {
  add(name);
  return prefixes_[name];
}

std::string LogPrinter::render(const std::string& name, int64_t time_ns, const std::string& text) {
  std::string out = options_.prefix ? prefix(name) : std::string();
  if (options_.timestamps) out += format_rfc3339_nano_fixed(time_ns) + " ";
  out += text;
  out += '\n';
  return out;
}

std::string LogPrinter::format(const LogLine& line, const std::string& name) {
  auto key = std::make_pair(name, line.stream);
  auto it = held_.find(key);
  if (!line.newline) {
    if (it == held_.end()) it = held_.emplace(key, Held{"", line.time_ns}).first;
    it->second.text += line.text;
    return {};
  }
  if (it == held_.end()) return render(name, line.time_ns, line.text);
  Held h = std::move(it->second);
  held_.erase(it);
  return render(name, h.time_ns, h.text + line.text);
}

std::string LogPrinter::flush() {
  std::string out;
  for (auto& [key, h] : held_) out += render(key.first, h.time_ns, h.text);
  held_.clear();
  return out;
}

}  // namespace stack::supervisor
