#include "tests/integration/examples/examples.hpp"

#include <unistd.h>

#include <algorithm>

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
  down_all();
  (void)testing::run("find /sys/fs/cgroup -maxdepth 8 -depth -type d -path " + sh_quote("*/stack/" + prefix_ + "*") +
                     " -exec rmdir {} + 2>/dev/null");
}

std::string Sandbox::project(const std::string& example, const std::string& suffix) const {
  return prefix_ + example + suffix;
}

testing::RunResult Sandbox::stack(const std::string& example, const std::string& args,
                                  const std::string& suffix) const {
  if (std::find(used_.begin(), used_.end(), std::pair(example, suffix)) == used_.end()) used_.emplace_back(example, suffix);
  return stack_as_user(example, "-p " + sh_quote(project(example, suffix)) + " " + args);
}

testing::RunResult Sandbox::stack_as_user(const std::string& example, const std::string& args) const {
  std::string dir = testing::source_dir() + "/examples/" + example;
  return testing::run("cd " + sh_quote(dir) + " && " + sh_quote(testing::stack_binary()) + " --root " +
                      sh_quote(root()) + " --run-root " + sh_quote(root() + "/run") + " -f stack.yaml " + args);
}

void Sandbox::down_all() const {
  for (const auto& [example, suffix] : used_) (void)stack(example, "down -t 0 >/dev/null 2>&1", suffix);
}

testing::RunResult Sandbox::build_images(const std::string& flags) const {
  return testing::run(sh_quote(testing::source_dir() + "/examples/images/build") + " --stack " +
                      sh_quote(testing::stack_binary()) + " --root " + sh_quote(root()) + " " + flags);
}

std::string Sandbox::leftovers() const {
  down_all();
  auto mounts = testing::run("grep -F " + sh_quote(root()) + " /proc/self/mountinfo", false);
  auto groups = testing::run("find /sys/fs/cgroup -maxdepth 9 -type d -path " +
                                 sh_quote("*/stack/" + prefix_ + "*/*-run-*") + " 2>/dev/null",
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

int free_port() {
  for (int p = 20000 + ::getpid() % 10000; p < 32000; ++p)
    if (testing::run("ss -Htln 'sport = :" + std::to_string(p) + "' | grep -q .", false).status != 0) return p;
  return 0;
}

UpExample::UpExample(const std::string& name, const std::string& port_variable)
    : example(name),
      project(sb.project(name, "-up")),
      run_root(sb.root() + "/run"),
      port(free_port()),
      leaks_(sb.root(), sb.root(), run_root),
      port_variable_(port_variable) {}

testing::RunResult UpExample::stack(const std::string& args, const std::string& env) const {
  leaks_.note_journals();  // the links an `up` made, read before the `down` that ends it
  std::string dir = testing::source_dir() + "/examples/" + example;
  return testing::run("cd " + sh_quote(dir) + " && " + port_variable_ + "=" + std::to_string(port) + " " + env + " " +
                      sh_quote(testing::stack_binary()) + " --root " + sh_quote(sb.root()) + " --run-root " +
                      sh_quote(run_root) + " -p " + sh_quote(project) + " -f stack.yaml " + args);
}

std::vector<nlohmann::json> UpExample::ps() const { return testing::json_lines(stack("ps -a --format json").out); }

std::string UpExample::get(const std::string& path) const {
  return testing::run("printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 127.0.0.1 " +
                          std::to_string(port) + " | sed '1,/^\\r$/d'",
                      false)
      .out;
}

std::string UpExample::leftovers() const {
  std::string out = leaks_.leaked({project});
  out += sb.leftovers();
  out += testing::run("ls -d " + sh_quote(sb.root() + "/volumes/" + project) + "_* 2>/dev/null", false).out;
  return out;
}

}  // namespace stack::examples_test
