// `stack wait SERVICE...`: blocks until every container of the services has exited,
// printing each exit as compose does, and exits with the code of the first container
// that exited.
#include <cstdio>
#include <optional>

#include "cmd/stack_client.hpp"

namespace {

int wait_exit(const stack::cli::Globals& g, const std::vector<std::string>& services) {
  auto c = stack::cli::connect_stack(g);
  if (!c) return stack::cli::report(c.error().message);
  std::optional<int> first;
  auto on_event = [&](const nlohmann::json& e, std::vector<stack::UniqueFd>&) {
    int code = e.value("exit_code", 0);
    std::printf("container \"%s\" exited with status code %d\n", e.value("name", "").c_str(), code);
    std::fflush(stdout);
    if (!first) first = code;
  };
  auto r = c->call("wait_exit", {{"services", services}}, {}, on_event);
  if (!r) return stack::cli::report(r.error().message);
  return first.value_or(0);
}

stack::cli::Registrar reg("wait", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("wait", "Block until containers of the services stop");
  sub->add_option("service", *services, "Services")->required();
  return [&g, services] { return wait_exit(g, *services); };
});

}  // namespace
