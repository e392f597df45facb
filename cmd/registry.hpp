#pragma once
// Each command lives in its own cmd/<name>.cpp and registers itself here, so that
// commands can be added without touching main.cpp:
//
//   static stack::cli::Registrar reg("config", [](CLI::App& app, stack::cli::Globals& g) {
//     auto* sub = app.add_subcommand("config", "Print the resolved stack file");
//     ... sub->callback / return a runner ...
//   });
//
// A command's runner returns the process exit code: 0 ok, 1 failed operation or
// invalid stack file, 2 usage error (compose's codes).
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace stack::cli {

// Flags that come before the command name (docker compose's global flags).
struct Globals {
  std::vector<std::string> files;          // -f, repeatable, in order
  std::string project_name;                // -p
  std::string project_directory;           // --project-directory
  std::vector<std::string> env_files;      // --env-file, repeatable
  std::vector<std::string> profiles;       // --profile, repeatable
  std::string root = "/var/lib/stack";     // --root: persistent state
  std::string run_root = "/run/stack";     // --run-root: runtime state
  bool debug = false;                      // --debug
  bool ignore_unenforced_limits = false;   // up's flag, passed on to the supervisor it starts
  std::string cgroup_parent;               // --cgroup-parent / STACK_CGROUP_PARENT ("" = default)
};

using Runner = std::function<int()>;
// Adds the subcommand to app and returns what to run when it is chosen.
using Setup = std::function<Runner(CLI::App& app, Globals& globals)>;

struct Command {
  std::string name;
  Setup setup;
};

std::vector<Command>& commands();

struct Registrar {
  Registrar(std::string name, Setup setup) { commands().push_back({std::move(name), std::move(setup)}); }
};

// Prints an error line the way every command does ("stack: <message>") and returns 1.
int report(const std::string& message);

}  // namespace stack::cli
