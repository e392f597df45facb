// `stack pause [SERVICE...]`: freezes each running container's cgroup (cgroup v2
// cgroup.freeze, v1 freezer controller) and returns once it is frozen; `ps` shows it
// as paused until `unpause`.
#include "cmd/stack_client.hpp"

namespace {

stack::cli::Registrar reg("pause", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("pause", "Pause services");
  sub->add_option("service", *services, "Services");
  return [&g, services] { return stack::cli::run_simple(g, "pause", {{"services", *services}}, "Paused"); };
});

}  // namespace
