#pragma once
// A stack under test, driven through the built binary (`stack up -d`, ps, down, ...):
// temporary --root/--run-root, a busybox image, project names unique to this run, and
// a leak check of what the stack makes on the host. Shared by the integration tests of
// lifecycle, health, recreate, commands, exec, stats and netup.
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/testing.hpp"

namespace stack::testing {

// What the host holds that a stack makes, one "kind name" per entry: links named like
// a stack's (bridges sb-*, veth host ends sv*, their ifb devices), the net namespaces
// of processes, mount points, cgroup directories under a "stack" parent, nftables
// tables stack_*. Taken before a test and again after its down.
std::set<std::string> host_objects();

// A leak check of stacks run on temporary roots: host_objects() when it is made, again
// in leaked(); what is new is ours when it names one of our projects (cgroups, nftables
// table; plus state dirs, container dirs, IPAM leases), lies under the temporary dir
// (mounts), belongs to a process of ours (netns; processes whose arguments name the
// temporary dir or that run in a project's cgroup) or, for links, whose names are
// hashes, when a stack's journal named it (note_journals(), read before each command).
// Other new stack-named links, cgroups and tables count too where nothing else that
// makes stacks runs (a `stack` binary, another integration test).
class LeakCheck {
 public:
  LeakCheck(std::string tmp, std::string root, std::string run_root);
  // The links every journal under the run root names (bridges, veths, ifbs), remembered.
  void note_journals() const;
  // What the projects left, one line each; "" if nothing. Waits up to 3 s for it to
  // settle (a supervisor exits last).
  std::string leaked(const std::vector<std::string>& projects) const;

 private:
  std::string leaked_once(const std::vector<std::string>& projects) const;
  std::string tmp_, root_, run_root_;
  std::set<std::string> before_;
  mutable std::set<std::string> links_;
};

class StackFixture {
 public:
  // tag names the test ("lc"): the temp dir stack-<tag>-<pid>, the project <tag><pid>x<n>
  // and the image busybox:<image_tag> (image_tag defaults to tag). Skips (exit 77)
  // without root or when the busybox rootfs cannot be made.
  explicit StackFixture(const std::string& tag, const std::string& image_tag = "");
  // Downs every project it wrote (-t 0) and removes their cgroups, whatever the test did.
  ~StackFixture();
  StackFixture(const StackFixture&) = delete;
  StackFixture& operator=(const StackFixture&) = delete;

  TempDir tmp;
  std::string image;    // busybox:<image_tag>
  std::string project;  // the main project; more with add_project()
  std::string root = tmp.path() + "/root", run_root = tmp.path() + "/run";
  std::string file = tmp.path() + "/stack.yaml";

  // The stack file of the main project: "name: <project>\n" + body, or with the
  // `services:` map (indented by two spaces) under "services:".
  void write_file(const std::string& body);
  void write(const std::string& services) { write_file("services:\n" + services); }
  // `stack --root --run-root -f FILE args` for the main project.
  std::string cmd(const std::string& args) const { return cmd_in(project, args); }

  // Other projects on the same roots (two stacks side by side): a new unique name.
  std::string add_project(const std::string& suffix);
  std::string file_of(const std::string& project) const;
  void write_file_in(const std::string& project, const std::string& body);
  std::string cmd_in(const std::string& project, const std::string& args) const;

  // `ps -a --format json` as one object per container.
  std::vector<nlohmann::json> ps() const { return ps_in(project); }
  std::vector<nlohmann::json> ps_in(const std::string& project) const;
  // The first container of the service ({} if none), or the one named <project>-<service>-<n>.
  nlohmann::json container(const std::string& service) const;
  std::string name(const std::string& service, int n = 1) const;
  int pid(const std::string& service, int n = 1) const;
  // Polls ps until the service's container is in `state` (up to `seconds`); the last entry.
  nlohmann::json wait_state(const std::string& service, const std::string& state, int seconds = 20) const;
  // `logs --no-log-prefix SERVICE` (stdout only).
  std::string logs(const std::string& service) const;
  std::string state_file() const { return run_root + "/stacks/" + project + "/state.json"; }
  int supervisor_pid() const;

  // What the stacks left on the host (LeakCheck::leaked), one line each; "" if nothing.
  std::string leftovers() const { return leaks_.leaked(projects_); }
  // `down` (args), exits 0, and leftovers() is empty.
  void down_clean(const std::string& args = "down -t 1") const;

 private:
  std::string tag_;
  std::vector<std::string> projects_;
  LeakCheck leaks_{tmp.path(), root, run_root};
};

// Running, not a zombie (an orphan's reaper is the host's PID 1, not us).
bool alive(int pid);
// JSON objects, one a line; other lines skipped.
std::vector<nlohmann::json> json_lines(const std::string& text);
// The entry whose key has value, or {}.
nlohmann::json find(const std::vector<nlohmann::json>& list, const std::string& key, const std::string& value);
inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
int lines(const std::string& text);
// Seconds since t0.
inline double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace stack::testing
