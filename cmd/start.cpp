// `stack start [SERVICE...]`: starts the stack's stopped containers again (docker
// compose start). The restart policy begins anew: RestartCount is 0 again, as Docker
// resets it on a user's start.
#include "cmd/stack_client.hpp"

namespace {

stack::cli::Registrar reg("start", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("start", "Start services");
  sub->add_option("service", *services, "Services");
  return [&g, services] { return stack::cli::run_simple(g, "start", {{"services", *services}}, "Started"); };
});

}  // namespace
