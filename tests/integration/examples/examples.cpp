#include "tests/integration/examples/examples.hpp"

#include <unistd.h>

namespace stack::examples_test {

std::string example_file(const std::string& name) {
  return testing::source_dir() + "/examples/" + name + "/stack.yaml";
}

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Sandbox::Sandbox() : dir_("stack-examples-test"), prefix_("ex" + std::to_string(::getpid()) + "-") {}

// `stack run` removes each container's cgroup but leaves the empty per-project group
// above it (stack/<project> in each hierarchy): remove ours, deepest first.
Sandbox::~Sandbox() {
  (void)testing::run("find /sys/fs/cgroup -maxdepth 8 -depth -type d -path " + sh_quote("*/stack/" + prefix_ + "*") +
                     " -exec rmdir {} + 2>/dev/null");
}

std::string Sandbox::project(const std::string& example, const std::string& suffix) const {
  return prefix_ + example + suffix;
}

testing::RunResult Sandbox::stack(const std::string& example, const std::string& args,
                                  const std::string& suffix) const {
  return stack_as_user(example, "-p " + sh_quote(project(example, suffix)) + " " + args);
}

testing::RunResult Sandbox::stack_as_user(const std::string& example, const std::string& args) const {
  std::string dir = testing::source_dir() + "/examples/" + example;
  return testing::run("cd " + sh_quote(dir) + " && " + sh_quote(testing::stack_binary()) + " --root " +
                      sh_quote(root()) + " -f stack.yaml " + args);
}

testing::RunResult Sandbox::build_images(const std::string& flags) const {
  return testing::run(sh_quote(testing::source_dir() + "/examples/images/build") + " --stack " +
                      sh_quote(testing::stack_binary()) + " --root " + sh_quote(root()) + " " + flags);
}

std::string Sandbox::leftovers() const {
  auto mounts = testing::run("grep -F " + sh_quote(root()) + " /proc/self/mountinfo", false);
  auto groups = testing::run("find /sys/fs/cgroup -maxdepth 9 -type d -path " +
                                 sh_quote("*/stack/" + prefix_ + "*/*_run_*") + " 2>/dev/null",
                             false);
  return mounts.out + groups.out;
}

std::string loopback_override(const Sandbox& sb, const std::vector<std::string>& services) {
  std::string path = sb.root() + "/loopback.yaml";
  std::string text = "services:\n";
  for (const auto& s : services) text += "  " + s + ":\n    user: root\n    cap_add: [NET_ADMIN]\n";
  auto r = testing::run("printf '%s' " + sh_quote(text) + " > " + sh_quote(path));
  return r.status == 0 ? path : std::string();
}

}  // namespace stack::examples_test
