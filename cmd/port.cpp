// `stack port SERVICE PRIVATE_PORT [--protocol tcp|udp] [--index N]`: the host address
// a container port is published on, "0.0.0.0:8080" (docker compose port).
#include <cstdio>

#include "cmd/registry.hpp"
#include "cmd/up_common.hpp"
#include "engine/supervisor/control_client.hpp"

namespace {

struct PortFlags {
  std::string service;
  int port = 0;
  std::string protocol = "tcp";
  int index = 1;
};

int port(const stack::cli::Globals& g, const PortFlags& f) {
  if (f.protocol != "tcp" && f.protocol != "udp")
    return stack::cli::report("invalid --protocol '" + f.protocol + "': want tcp or udp");
  auto name = stack::cli::project_name(g);
  if (!name) return stack::cli::report(name.error().message);
  auto layout = stack::cli::stack_layout(g, *name);
  if (!layout) return stack::cli::report(layout.error().message);
  auto c = stack::supervisor::ControlClient::connect(layout->control_socket());
  if (!c) return stack::cli::report("no such stack: " + *name + " (no supervisor runs for it)");
  auto r = c->call("ps", {{"all", true}});
  if (!r) return stack::cli::report(r.error().message);
  std::string container = stack::cli::container_name(*name, f.service, f.index < 1 ? 1 : f.index);
  for (const auto& e : r->at("containers")) {
    if (e.value("Name", "") != container) continue;
    for (const auto& p : e.value("Publishers", nlohmann::json::array())) {
      if (p.value("TargetPort", 0) != f.port || p.value("Protocol", "") != f.protocol || p.value("PublishedPort", 0) == 0)
        continue;
      std::printf("%s:%d\n", p.value("URL", "").c_str(), p.value("PublishedPort", 0));
      return 0;
    }
    return stack::cli::report("no port " + std::to_string(f.port) + "/" + f.protocol + " for container " + container);
  }
  return stack::cli::report("service \"" + f.service + "\" has no container with index " +
                            std::to_string(f.index < 1 ? 1 : f.index));
}

stack::cli::Registrar reg("port", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<PortFlags>();
  auto* sub = app.add_subcommand("port", "Print the public port for a port binding");
  sub->add_option("SERVICE", f->service, "Service")->required();
  sub->add_option("PRIVATE_PORT", f->port, "Container port")->required()->check(CLI::Range(1, 65535));
  sub->add_option("--protocol", f->protocol, "tcp or udp")->capture_default_str();
  sub->add_option("--index", f->index, "Index of the container if the service has multiple replicas")
      ->capture_default_str();
  return [&g, f] { return port(g, *f); };
});

}  // namespace
