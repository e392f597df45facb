#pragma once
// Shared by the example tests: paths of the examples and the CLI with a temporary root.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/stack_fixture.hpp"
#include "tests/support/testing.hpp"

namespace stack::examples_test {

// examples/<name>/stack.yaml in the source tree.
std::string example_file(const std::string& name);

// Single-quoted for sh, with embedded quotes escaped.
std::string sh_quote(const std::string& s);

// A temporary --root (image store, volumes) and --run-root (<root>/run) and the CLI bound
// to them. Projects run through it are named "ex<pid>-<example><suffix>", so what they
// leave is recognisably ours. A `stack run` of a service on a network starts its
// stack's supervisor (the networks, the dependencies): leftovers() and the destructor
// take those stacks down, as a user would.
class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  const std::string& root() const { return dir_.path(); }
  std::string project(const std::string& example, const std::string& suffix = "") const;
  // `stack --root ROOT --run-root ROOT/run -p PROJECT -f stack.yaml ARGS` in examples/<example>/.
  testing::RunResult stack(const std::string& example, const std::string& args, const std::string& suffix = "") const;
  // The same without -p: the project is named by the file, as a user would see it.
  testing::RunResult stack_as_user(const std::string& example, const std::string& args) const;
  // examples/images/build into this root with the given extra flags.
  testing::RunResult build_images(const std::string& flags) const;
  // What our containers left on the host after the stacks stack() ran are down: mounts
  // under the root, and one-off containers' cgroups ("..-run-..") under our projects.
  // Empty when nothing is left.
  std::string leftovers() const;

 private:
  void down_all() const;
  testing::TempDir dir_;
  std::string prefix_;
  mutable std::vector<std::pair<std::string, std::string>> used_;  // (example, suffix) stack() ran
};

// A second stack file (written into the sandbox) that lets SERVICES bring up their own
// loopback: `stack run` gives a container a fresh network namespace whose "lo" is down,
// and raising it needs CAP_NET_ADMIN as root (netdevice(7), SIOCSIFFLAGS). Tests use it
// to serve and fetch on 127.0.0.1 inside one container, never on the host's network.
std::string loopback_override(const Sandbox& sb, const std::vector<std::string>& services);

// One example brought up with `stack up` as a user would (its own folder, its own
// file), on a sandbox's root and a run root of its own, as project
// "ex<pid>-<example>-up", with its published port moved to a free one through the
// variable the example reads for it (e.g. WEB_PORT).
class UpExample {
 public:
  UpExample(const std::string& example, const std::string& port_variable);
  Sandbox sb;
  const std::string example, project, run_root;
  const int port;

  // `VAR=port [ENV] stack --root --run-root -p -f stack.yaml ARGS` in examples/<example>/;
  // env: more variables, "K=V K2=V2".
  testing::RunResult stack(const std::string& args, const std::string& env = "") const;
  // `ps -a --format json`, one object per container.
  std::vector<nlohmann::json> ps() const;
  // GET path from the host through the published port on 127.0.0.1: the body, "" when
  // nothing answers. busybox nc, not wget (the static busybox's wget crashes on some
  // hosts) and not curl (not always installed).
  std::string get(const std::string& path = "/") const;
  // What the stack left on the host (testing::LeakCheck, plus its named volumes and
  // the sandbox's own check); "" if nothing.
  std::string leftovers() const;

 private:
  testing::LeakCheck leaks_;
  std::string port_variable_;
};

// A TCP port nobody listens on (ss(8)), from a range the kernel does not hand out.
int free_port();

}  // namespace stack::examples_test
