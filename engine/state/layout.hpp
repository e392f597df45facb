#pragma once
// Where a stack keeps its files (design.md "Process model").
//
//   <run-root>/stacks/<project>/control.sock     the supervisor's control socket
//                               supervisor.pid   the supervisor's pid
//                               lock             flock'd by whoever changes the stack
//                               state.json       what runs (written atomically)
//                               journal          the teardown journal
//   <root>/stacks/<project>/logs/<container>/<container>-json.log   (+ .1, .2 rotated)
//
// Runtime state lives under the run root (tmpfs, gone after a reboot, like the
// processes it describes); logs are persistent so that `logs` works after a reboot.
#include <string>

#include "engine/base/result.hpp"

namespace stack::state {

class Layout {
 public:
  // Checks the names (they become path components) and that the control socket's
  // path fits in sockaddr_un.sun_path (unix(7): 108 bytes with the terminating NUL).
  static Result<Layout> make(std::string root, std::string run_root, std::string project);

  const std::string& project() const { return project_; }
  std::string stack_dir() const;       // <run-root>/stacks/<project>
  std::string control_socket() const;
  std::string supervisor_pid() const;
  std::string lock() const;
  std::string state_file() const;
  std::string journal() const;
  std::string logs_dir() const;        // <root>/stacks/<project>/logs
  std::string log_dir(const std::string& container) const;
  std::string log_file(const std::string& container) const;

  // Creates the stack's run directory (0700: the control socket there accepts
  // commands that run processes as root) and the logs directory.
  Result<void> ensure() const;

 private:
  Layout(std::string root, std::string run_root, std::string project)
      : root_(std::move(root)), run_root_(std::move(run_root)), project_(std::move(project)) {}
  std::string root_, run_root_, project_;
};

// A project name as compose accepts it: lowercase letters, digits, '_' and '-',
// starting with a letter or digit.
Result<void> check_project_name(const std::string& name);
// A container name (it names a directory and a file): [A-Za-z0-9][A-Za-z0-9_.-]*.
Result<void> check_container_name(const std::string& name);

}  // namespace stack::state
