// `stack logs [-f] [-t] [-n|--tail N] [--since T] [--until T] [--no-color]
// [--no-log-prefix] [SERVICE...]`: the flags into engine/supervisor's run_logs. It reads
// the log files only, so it works while the supervisor is down.
#include <unistd.h>

#include <cstdio>

#include "cmd/registry.hpp"
#include "cmd/stack_client.hpp"
#include "cmd/up_common.hpp"
#include "engine/supervisor/log_format.hpp"
#include "engine/supervisor/logs_command.hpp"

namespace {

namespace sv = stack::supervisor;

struct LogsFlags {
  bool follow = false, timestamps = false, no_color = false, no_prefix = false;
  std::string tail = "all", since, until;
  std::vector<std::string> services;
};

int logs(const stack::cli::Globals& g, const LogsFlags& f) {
  auto name = stack::cli::project_name(g);
  if (!name) return stack::cli::report(name.error().message);
  auto layout = stack::cli::stack_layout(g, *name);
  if (!layout) return stack::cli::report(layout.error().message);
  if (auto drivers = stack::cli::check_log_drivers(g, f.services); !drivers)
    return stack::cli::report(drivers.error().message);
  auto query = sv::make_log_query(f.tail, f.since, f.until, sv::now_ns());
  if (!query) return stack::cli::report(query.error().message);
  sv::LogsRequest r;
  r.logs_dir = layout->logs_dir();
  r.project = *name;
  r.services = f.services;
  r.query = *query;
  r.print = {sv::use_color(f.no_color, STDOUT_FILENO), !f.no_prefix, f.timestamps};
  r.follow = f.follow;
  auto done = sv::run_logs(r, [](std::string_view text, bool is_stderr) {
    std::FILE* out = is_stderr ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  });
  if (!done) return stack::cli::report(done.error().message);
  return 0;
}

stack::cli::Registrar reg("logs", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<LogsFlags>();
  auto* sub = app.add_subcommand("logs", "View output from containers");
  sub->add_flag("-f,--follow", f->follow, "Follow log output");
  sub->add_flag("-t,--timestamps", f->timestamps, "Show timestamps");
  sub->add_option("-n,--tail", f->tail, "Number of lines from the end of each container's log, or \"all\"");
  sub->add_option("--since", f->since, "Show logs since a timestamp or relative time (e.g. 42m)");
  sub->add_option("--until", f->until, "Show logs before a timestamp or relative time");
  sub->add_flag("--no-color", f->no_color, "Produce monochrome output");
  sub->add_flag("--no-log-prefix", f->no_prefix, "Don't print the prefix in logs");
  sub->add_option("service", f->services, "Services");
  return [&g, f] { return logs(g, *f); };
});

}  // namespace
