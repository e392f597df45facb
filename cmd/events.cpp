// `stack events [--json] [SERVICE...]`: the supervisor's container events as they
// happen (create, start, die, kill, stop, pause, unpause, restart, oom, ...), one per
// line in compose's text or JSON form, until the stack goes down or Ctrl-C.
#include <cstdio>

#include "cmd/stack_client.hpp"
#include "engine/supervisor/event_bus.hpp"

namespace {

struct EventsFlags {
  bool json = false;
  std::vector<std::string> services;
};

int events(const stack::cli::Globals& g, const EventsFlags& f) {
  auto c = stack::cli::connect_stack(g);
  if (!c) return stack::cli::report(c.error().message);
  auto on_event = [&](const nlohmann::json& e, std::vector<stack::UniqueFd>&) {
    std::string line = f.json ? e.dump() : stack::supervisor::event_text(e);
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  auto r = c->call("events", {{"services", f.services}}, {}, on_event);
  if (!r) return stack::cli::report(r.error().message);
  return 0;
}

stack::cli::Registrar reg("events", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<EventsFlags>();
  auto* sub = app.add_subcommand("events", "Receive real time events from containers");
  sub->add_flag("--json", f->json, "Output events as a stream of json objects");
  sub->add_option("service", f->services, "Services");
  return [&g, f] { return events(g, *f); };
});

}  // namespace
