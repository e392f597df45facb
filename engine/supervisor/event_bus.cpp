#include "engine/supervisor/event_bus.hpp"

#include <algorithm>
#include <ctime>

#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {

nlohmann::json event_json(const ContainerEvent& e) {
  return {{"time", format_rfc3339_nano(e.time_ns)}, {"type", "container"}, {"action", e.action},
          {"id", e.id},                             {"service", e.service}, {"attributes", e.attributes}};
}

std::string event_text(const nlohmann::json& event) {
  std::string t = event.value("time", "");  // 2026-01-02T03:04:05.123456789Z
  std::string when = t.size() >= 19 ? t.substr(0, 10) + " " + t.substr(11, 8) : t;
  auto dot = t.find('.');
  std::string frac = dot == std::string::npos ? "" : t.substr(dot + 1, 6);
  while (!frac.empty() && frac.size() < 6) frac += '0';
  if (frac.empty() || frac.find_first_not_of("0123456789") != std::string::npos) frac = "000000";
  std::string line = when + "." + frac + " container " + event.value("action", "") + " " + event.value("id", "");
  std::string attrs;
  if (event.contains("attributes") && event["attributes"].is_object())
    for (const auto& [k, v] : event["attributes"].items())
      attrs += (attrs.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  if (!attrs.empty()) line += " (" + attrs + ")";
  return line;
}

void EventBus::subscribe(Responder r, std::set<std::string> services) {
  subs_.push_back({std::move(r), std::move(services)});
}

void EventBus::publish(const ContainerEvent& e) {
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [](const Sub& s) { return !s.r.connected(); }), subs_.end());
  nlohmann::json j = event_json(e);
  for (const auto& s : subs_)
    if (s.services.empty() || s.services.count(e.service)) s.r.event(j);
}

void EventBus::close() {
  for (const auto& s : subs_) s.r.reply(nlohmann::json::object());
  subs_.clear();
}

}  // namespace stack::supervisor
