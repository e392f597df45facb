// `stack restart [-t S] [SERVICE...]`: stop (as `stop -t S`), then start; RestartCount
// is 0 again afterwards, as with Docker's restart.
#include "cmd/stack_client.hpp"

namespace {

stack::cli::Registrar reg("restart", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  return stack::cli::timed_command(app.add_subcommand("restart", "Restart service containers"), g, "restart", "Started");
});

}  // namespace
