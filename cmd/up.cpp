// `stack up [-d] [SERVICE...]`: starts the stack's supervisor (or finds it running),
// sends it the loaded project with up's flags ("apply": keep, recreate, create, remove;
// up_apply.hpp) and waits until every service was started or could not be, printing
// compose's plain progress lines (" ✔ Container demo-web-1  Started"). Without -d it
// then follows the logs with prefixes; Ctrl-C (SIGINT/SIGTERM) stops the stack as
// `down` would (a second Ctrl-C kills what is still stopping), and so does a container's
// exit with --abort-on-container-exit. --wait
// (implies -d) then waits for running and healthy, or completed (up_wait.hpp).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "cmd/limit_enforcement.hpp"
#include "cmd/registry.hpp"
#include "cmd/up_apply.hpp"
#include "cmd/up_common.hpp"
#include "cmd/up_exit.hpp"
#include "cmd/up_spawn.hpp"
#include "cmd/up_wait.hpp"
#include "engine/supervisor/log_format.hpp"
#include "engine/supervisor/logs_command.hpp"

namespace {

namespace sv = stack::supervisor;

struct UpFlags {
  bool detach = false;
  bool wait = false;
  bool no_color = false;
  int wait_timeout = 120;
  bool force_recreate = false, no_recreate = false, remove_orphans = false, abort_on_exit = false;
  std::string exit_code_from;
  std::vector<std::string> scale;
  std::vector<std::string> services;
};

std::atomic<int> interrupted{0};
void on_signal(int) { interrupted.fetch_add(1); }

// Foreground: the logs until Ctrl-C, then a graceful stop of the stack.
int attach(const stack::cli::Globals& g, const stack::state::Layout& layout, const std::string& project,
           const UpFlags& f) {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  sv::LogsRequest r;
  r.logs_dir = layout.logs_dir();
  r.project = project;
  r.follow = true;
  r.print = {sv::use_color(f.no_color, STDOUT_FILENO), true, false};
  std::optional<stack::cli::ExitWatch> watch;
  if (f.abort_on_exit) watch.emplace(layout.control_socket(), f.exit_code_from);
  r.keep_following = [&watch] { return interrupted.load() == 0 && !(watch && watch->exited()); };
  auto shown = sv::run_logs(r, [](std::string_view text, bool is_stderr) {
    std::FILE* out = is_stderr ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  });
  if (!shown) stack::cli::report(shown.error().message);
  bool aborted = watch && watch->exited();
  if (aborted) std::printf("Aborting on container exit...\n");
  std::printf("Gracefully stopping... (press Ctrl+C again to force)\n");
  std::fflush(stdout);
  auto c = sv::ControlClient::connect(layout.control_socket());
  if (!c) return stack::cli::report(c.error().message);
  pid_t pid = stack::cli::read_pid(layout.supervisor_pid());
  // A second Ctrl-C while the stack stops: a down with no grace on a second connection
  // (the supervisor kills what is still stopping); the first call ends with the stack.
  std::atomic<bool> stopped{false};
  std::thread force([&] {
    while (!stopped.load() && interrupted.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (stopped.load()) return;
    std::printf("Killing...\n");
    std::fflush(stdout);
    if (auto k = sv::ControlClient::connect(layout.control_socket()); k) (void)k->call("down", {{"timeout", 0}});
  });
  auto down = c->call("down", nlohmann::json::object());
  stopped.store(true);
  force.join();
  if (!down) return stack::cli::report(down.error().message);
  stack::cli::wait_gone(pid);  // its files are gone when it is
  (void)g;
  return aborted ? watch->code(*down) : 0;
}

int up(const stack::cli::Globals& g, UpFlags f) {
  if (!f.exit_code_from.empty()) f.abort_on_exit = true;
  if (f.detach && f.abort_on_exit) return stack::cli::report("--abort-on-container-exit and --detach are incompatible");
  if (f.force_recreate && f.no_recreate) return stack::cli::report("--force-recreate and --no-recreate are incompatible");
  auto scale = stack::cli::parse_scale(f.scale);
  if (!scale) return stack::cli::report(scale.error().message);
  auto project = stack::cli::load_project(g);
  if (!project) return stack::cli::report(project.error().message);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(f.wait_timeout);
  auto layout = stack::cli::stack_layout(g, project->name);
  if (!layout) return stack::cli::report(layout.error().message);
  if (auto checked = stack::cli::check_project_limits(*project, g.ignore_unenforced_limits); !checked)
    return stack::cli::report(checked.error().message);
  std::string load_token;
  auto client =
      stack::cli::connect_or_start(g, *project, *layout, std::chrono::seconds(f.wait_timeout), &load_token);
  if (!client) return stack::cli::report(client.error().message);
  if (!f.exit_code_from.empty() && !project->services.count(f.exit_code_from))
    return stack::cli::report("--exit-code-from " + f.exit_code_from + ": no such service");
  stack::cli::ApplyOptions o{f.services, *scale, f.force_recreate, f.no_recreate, f.remove_orphans};
  auto start = stack::cli::apply_project(*client, g, o, std::chrono::seconds(f.wait_timeout), load_token);
  if (!start) return stack::cli::report(start.error().message);
  auto started = client->call("wait", nlohmann::json::object(), {}, nullptr, std::chrono::seconds(f.wait_timeout));
  if (!started) return stack::cli::report(started.error().message);
  int code = stack::cli::print_started(*started, *start);
  if (f.wait && code == 0) return stack::cli::wait_ready(*client, deadline, f.wait_timeout);
  if (f.detach || f.wait) return code;
  return attach(g, *layout, project->name, f);
}

stack::cli::Registrar reg("up", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<UpFlags>();
  auto* sub = app.add_subcommand("up", "Create and start containers");
  sub->add_flag("-d,--detach", f->detach, "Detached mode: run containers in the background");
  sub->add_flag("--no-color", f->no_color, "Produce monochrome output");
  sub->add_flag("--ignore-unenforced-limits", g.ignore_unenforced_limits,
                "A limit this host cannot enforce is a warning, not an error");
  sub->add_flag("--wait", f->wait, "Wait for services to be running|healthy. Implies detached mode.");
  sub->add_option("--wait-timeout", f->wait_timeout, "Seconds to wait for the stack to start (and with --wait, to be healthy)")
      ->capture_default_str();
  sub->add_flag("--force-recreate", f->force_recreate, "Recreate containers even if their configuration has not changed");
  sub->add_flag("--no-recreate", f->no_recreate, "If containers already exist, don't recreate them");
  sub->add_flag("--remove-orphans", f->remove_orphans, "Remove containers for services not defined in the stack file");
  sub->add_option("--scale", f->scale, "Scale SERVICE to NUM instances (SERVICE=NUM)");
  sub->add_flag("--abort-on-container-exit", f->abort_on_exit, "Stops all containers if any container was stopped");
  sub->add_option("--exit-code-from", f->exit_code_from,
                  "Return the exit code of the selected service container (implies --abort-on-container-exit)");
  sub->add_option("service", f->services, "Services");
  return [&g, f] { return up(g, *f); };
});

}  // namespace
