// `stack top [SERVICE...]`: the processes of each running container, as docker compose
// top prints them: the container's name, then UID PID PPID C STIME TTY TIME CMD (host
// pids, as ps -ef on the host shows them), then an empty line. The supervisor lists
// the pids of each container's cgroup ("top"); this reads /proc for each.
#include <cstdio>
#include <ctime>

#include "cmd/registry.hpp"
#include "cmd/stack_client.hpp"
#include "cmd/stats_format.hpp"
#include "cmd/top_proc.hpp"

namespace {

namespace cli = stack::cli;

int top(const cli::Globals& g, const std::vector<std::string>& services) {
  auto c = cli::connect_stack(g);
  if (!c) return cli::report(c.error().message);
  auto r = c->call("top", {{"services", services}});
  if (!r) return cli::report(r.error().message);
  std::time_t now = std::time(nullptr);
  for (const auto& e : r->at("containers")) {
    std::vector<std::vector<std::string>> cells{cli::kTopTitles};
    for (const auto& pid : e.at("Pids"))
      if (auto row = cli::read_process(pid.get<pid_t>(), now)) cells.push_back(std::move(*row));  // else it exited
    std::printf("%s\n%s\n", e.value("Name", "").c_str(), cli::align_columns(cells, 5).c_str());
  }
  std::fflush(stdout);
  return 0;
}

cli::Registrar reg("top", [](CLI::App& app, cli::Globals& g) -> cli::Runner {
  auto services = std::make_shared<std::vector<std::string>>();
  auto* sub = app.add_subcommand("top", "Display the running processes");
  sub->add_option("service", *services, "Services");
  return [&g, services] { return top(g, *services); };
});

}  // namespace
