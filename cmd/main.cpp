// The `stack` CLI: global flags, then one subcommand from the registry.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <map>

#include "cmd/progress.hpp"
#include "cmd/registry.hpp"
#include "engine/base/log.hpp"
#include "engine/cgroup/parent.hpp"
#include "engine/runtime/seccomp.hpp"

namespace stack::cli {

std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}

int report(const std::string& message) {
  std::fprintf(stderr, "stack: %s\n", message.c_str());
  return 1;
}

}  // namespace stack::cli

int main(int argc, char** argv) {
  using namespace stack::cli;
  CLI::App app{"stack: a compose-style multi-container orchestrator built on kernel primitives", "stack"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stack 0.1.0");
  Globals g;
  app.add_option("-f,--file", g.files, "Stack file (repeatable; later files override earlier ones)");
  app.add_option("-p,--project-name", g.project_name, "Project name");
  app.add_option("--project-directory", g.project_directory, "Project directory (default: the first file's)");
  app.add_option("--env-file", g.env_files, "Environment file(s) for interpolation (default: .env)");
  app.add_option("--profile", g.profiles, "Profile to enable (repeatable)");
  app.add_option("--root", g.root, "Persistent state directory")->capture_default_str();
  app.add_option("--run-root", g.run_root, "Runtime state directory")->capture_default_str();
  app.add_option("--cgroup-parent", g.cgroup_parent,
                 "Parent cgroup of the containers' groups (relative: below the default; absolute: from the top)")
      ->envname("STACK_CGROUP_PARENT");
  app.add_flag("--debug", g.debug, "Print debug detail");
  std::string progress = "auto";
  app.add_option("--progress", progress, "Type of progress output (auto, tty, plain, quiet)")->capture_default_str();

  std::map<CLI::App*, Runner> runners;
  for (auto& c : commands()) {
    size_t before = app.get_subcommands({}).size();
    Runner r = c.setup(app, g);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) runners[subs.back()] = std::move(r);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  stack::log::init(g.debug);
  if (auto p = stack::cgroup::parse_parent(g.cgroup_parent); !p) {
    std::fprintf(stderr, "stack: --cgroup-parent (or STACK_CGROUP_PARENT): %s\n", p.error().message.c_str());
    return 2;
  }
  if (auto p = set_progress(progress); !p) {
    std::fprintf(stderr, "stack: %s\n", p.error().message.c_str());
    return 2;
  }
  // Compiled seccomp programs outlive a process here (a one-off run pays libseccomp once).
  stack::engine::runtime::set_seccomp_cache_dir(g.root + "/cache/seccomp");
  try {
    for (auto* sub : app.get_subcommands()) {
      auto it = runners.find(sub);
      if (it != runners.end()) return it->second();
    }
    return report("no command given");
  } catch (const std::exception& e) {
    // Parts return Results; an exception here is a bug, but the user still gets one line.
    return report(std::string("internal error: ") + e.what());
  }
}
