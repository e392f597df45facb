#include "cmd/registry.hpp"

namespace {
stack::cli::Registrar reg("version", [](CLI::App& app, stack::cli::Globals&) -> stack::cli::Runner {
  app.add_subcommand("version", "Show the stack version");
  return [] {
    std::printf("stack version 0.1.0\n");
    return 0;
  };
});
}  // namespace
