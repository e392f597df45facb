// `stack stop [-t S] [SERVICE...]`: stop_signal, then SIGKILL after the grace period
// (-t, else each service's stop_grace_period, 10 s). Stopped containers stay listed by
// `ps -a` as exited and are not restarted by their policy (docker compose stop).
#include "cmd/stack_client.hpp"

namespace {

stack::cli::Registrar reg("stop", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  return stack::cli::timed_command(app.add_subcommand("stop", "Stop services"), g, "stop", "Stopped");
});

}  // namespace
