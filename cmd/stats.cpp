// `stack stats [-a] [--no-stream] [--format table|json] [--no-trunc] [SERVICE...]`: CPU %,
// memory, NET I/O, block I/O and pids of each running container, as docker compose
// stats shows them. The supervisor gives raw samples ("stats"); CPU % needs two, so
// the first table comes after one interval; streaming redraws it about once a second
// until Ctrl-C. Names are never truncated, so --no-trunc is accepted and changes nothing.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cmd/registry.hpp"
#include "cmd/stack_client.hpp"
#include "cmd/stats_format.hpp"

namespace {

namespace cli = stack::cli;

struct StatsFlags {
  bool all = false, no_stream = false, no_trunc = false;
  std::string format = "table";
  std::vector<std::string> services;
};

using Samples = std::map<std::string, cli::StatsSample>;

stack::Result<Samples> sample(stack::supervisor::ControlClient& c, const StatsFlags& f) {
  auto r = c.call("stats", {{"services", f.services}, {"all", f.all}});
  if (!r) return stack::unexpected(r.error());
  Samples out;
  for (const auto& e : r->at("containers")) {
    auto s = cli::sample_from_json(e);
    out.emplace(s.name, s);
  }
  return out;
}

void print(const Samples& now, const Samples& before, const StatsFlags& f, bool clear) {
  std::vector<nlohmann::json> rows;
  for (const auto& [name, s] : now) {
    auto it = before.find(name);
    rows.push_back(cli::stats_row(s, it == before.end() ? nullptr : &it->second));
  }
  if (clear) std::fputs("\033[2J\033[H", stdout);  // docker's redraw: clear, cursor home
  if (f.format == "json") {
    for (const auto& r : rows) std::printf("%s\n", r.dump().c_str());
  } else {
    std::fputs(cli::stats_table(rows).c_str(), stdout);
  }
  std::fflush(stdout);
}

int stats(const cli::Globals& g, const StatsFlags& f) {
  if (f.format != "table" && f.format != "json")
    return cli::report("invalid --format '" + f.format + "': want table or json");
  auto c = cli::connect_stack(g);
  if (!c) return cli::report(c.error().message);
  auto first = sample(*c, f);
  if (!first) return cli::report(first.error().message);
  Samples before = std::move(*first);
  bool clear = !f.no_stream && f.format == "table" && ::isatty(STDOUT_FILENO);
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto now = sample(*c, f);
    if (!now) return cli::report(now.error().message);
    print(*now, before, f, clear);
    if (f.no_stream) return 0;
    before = std::move(*now);
  }
}

cli::Registrar reg("stats", [](CLI::App& app, cli::Globals& g) -> cli::Runner {
  auto f = std::make_shared<StatsFlags>();
  auto* sub = app.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
  sub->add_flag("-a,--all", f->all, "Show all containers (default shows just running)");
  sub->add_flag("--no-stream", f->no_stream, "Disable streaming stats and only pull the first result");
  sub->add_flag("--no-trunc", f->no_trunc, "Do not truncate output (stack never truncates)");
  sub->add_option("--format", f->format, "table or json")->capture_default_str();
  sub->add_option("service", f->services, "Services");
  return [&g, f] { return stats(g, *f); };
});

}  // namespace
