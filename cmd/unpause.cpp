// `stack unpause [SERVICE...]`: thaws containers that `pause` froze.
#include "cmd/stack_client.hpp"

namespace {

stack::cli::Registrar reg("unpause", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("unpause", "Unpause services");
  sub->add_option("service", *services, "Services");
  return [&g, services] { return stack::cli::run_simple(g, "unpause", {{"services", *services}}, "Unpaused"); };
});

}  // namespace
