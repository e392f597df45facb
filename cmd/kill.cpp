// `stack kill [-s SIG] [SERVICE...]`: a signal (default SIGKILL) to each running
// container's main process. SIGKILL and the service's stop signal also disable its
// restart policy until the next start (docker kill); other signals leave it in place.
#include "cmd/stack_client.hpp"
#include "cmd/supervisor_stack.hpp"

namespace {

struct KillFlags {
  std::string signal = "SIGKILL";
  std::vector<std::string> services;
};

stack::cli::Registrar reg("kill", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<KillFlags>();
  auto* sub = app.add_subcommand("kill", "Force stop service containers");
  sub->add_option("-s,--signal", f->signal, "SIGNAL to send to the container")->capture_default_str();
  sub->add_option("service", f->services, "Services");
  return [&g, f] {
    int sig = stack::cli::signal_number(f->signal);
    if (sig <= 0 || sig >= 65) return stack::cli::report("invalid signal '" + f->signal + "'");
    return stack::cli::run_simple(g, "kill", {{"services", f->services}, {"signal", sig}}, "Killed");
  };
});

}  // namespace
