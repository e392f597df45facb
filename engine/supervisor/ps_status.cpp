#include "engine/supervisor/ps_status.hpp"

namespace stack::supervisor {

std::string human_duration(int64_t ns) {
  constexpr int64_t kSec = 1'000'000'000, kHour = 3600 * kSec;
  int64_t seconds = ns / kSec;
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return std::to_string(seconds) + " seconds";
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return std::to_string(minutes) + " minutes";
  int64_t hours = (ns + kHour / 2) / kHour;  // Go's d.Round(time.Hour)
  if (hours == 1) return "About an hour";
  if (hours < 48) return std::to_string(hours) + " hours";
  if (hours < 24 * 7 * 2) return std::to_string(hours / 24) + " days";
  if (hours < 24 * 30 * 2) return std::to_string(hours / 24 / 7) + " weeks";
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24 / 30) + " months";
  return std::to_string(ns / kHour / 24 / 365) + " years";
}

std::string status_text(const StatusInput& in) {
  auto since = [&](int64_t t) { return human_duration(in.now_ns - t); };
  switch (in.state) {
    case RunState::kRunning: {
      std::string s = "Up " + since(in.started_ns);
      if (in.health) s += *in.health == Health::kStarting ? " (health: starting)" : " (" + std::string(to_string(*in.health)) + ")";
      return s;
    }
    case RunState::kRestarting:
      return "Restarting (" + std::to_string(in.exit_code) + ") " + since(in.finished_ns) + " ago";
    case RunState::kExited:
      return "Exited (" + std::to_string(in.exit_code) + ") " + since(in.finished_ns) + " ago";
    case RunState::kDead: return "Dead";
    case RunState::kCreated: return "Created";
  }
  return "";
}

}  // namespace stack::supervisor
