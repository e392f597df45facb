#pragma once
// The stream behind `events`: container lifecycle events in compose's JSON shape
//   {"time":"2026-...Z","type":"container","action":"die","id":"web-db-1",
//    "service":"db","attributes":{"name":"web-db-1","image":"busybox","exitCode":"1"}}
// (compose's `events --json`; the id is the container's name, which is unique per host).
// Actions: create, start, die, kill, stop, pause, unpause, restart, oom, health_status.
// Each subscriber is a control request that stays open; its responder gets one event
// message per event of the services it asked for, and a final result when the stack
// goes down.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/supervisor/control_server.hpp"

namespace stack::supervisor {

struct ContainerEvent {
  int64_t time_ns = 0;
  std::string action, id, service;
  nlohmann::json attributes = nlohmann::json::object();  // string values, as Docker's
};

nlohmann::json event_json(const ContainerEvent& e);
// compose's text line: "2026-01-02 03:04:05.123456 container die web-db-1 (exitCode=1, name=...)".
std::string event_text(const nlohmann::json& event);

class EventBus {
 public:
  // services empty: every service.
  void subscribe(Responder r, std::set<std::string> services);
  void publish(const ContainerEvent& e);
  // Ends every stream (the stack went down).
  void close();
  std::size_t subscribers() const { return subs_.size(); }

 private:
  struct Sub {
    Responder r;
    std::set<std::string> services;
  };
  std::vector<Sub> subs_;
};

}  // namespace stack::supervisor
