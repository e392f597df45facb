// `stack config`: loads the stack file(s) and prints the normalised model, in the shape
// of `docker compose config` (YAML by default, --format json).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cmd/registry.hpp"
#include "cmd/up_common.hpp"
#include "engine/model/load.hpp"


namespace {

struct ConfigFlags {
  std::string format = "yaml";
  bool services = false;
  bool volumes = false;
  bool profiles = false;
  bool quiet = false;
};

int run(const stack::cli::Globals& g, const ConfigFlags& f) {
  auto project = stack::cli::load_project(g);
  if (!project) return stack::cli::report(project.error().message);
  for (const auto& w : project->warnings) std::fprintf(stderr, "stack: warning: %s\n", w.c_str());
  if (f.quiet) return 0;
  if (f.services) {
    for (const auto& name : project->start_order()) std::printf("%s\n", name.c_str());
  } else if (f.volumes) {
    for (const auto& [name, v] : project->volumes) std::printf("%s\n", name.c_str());
  } else if (f.profiles) {
    for (const auto& p : project->all_profiles) std::printf("%s\n", p.c_str());
  } else if (f.format == "json") {
    std::cout << stack::model::to_json(*project).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << stack::model::to_yaml(*project);
  }
  std::cout.flush();
  return std::cout.good() ? 0 : stack::cli::report("config: cannot write the output");
}

stack::cli::Registrar reg("config", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto flags = std::make_shared<ConfigFlags>();
  auto* sub = app.add_subcommand("config", "Print the resolved stack file (compose's long form)");
  sub->add_option("--format", flags->format, "Output format")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  sub->add_flag("--services", flags->services, "Print the service names, one per line");
  sub->add_flag("--volumes", flags->volumes, "Print the volume names, one per line");
  sub->add_flag("--profiles", flags->profiles, "Print the profile names, one per line");
  sub->add_flag("-q,--quiet", flags->quiet, "Only validate, print nothing");
  return [&g, flags] { return run(g, *flags); };
});

}  // namespace
