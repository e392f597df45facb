#include "tests/support/stack_fixture.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "network/bandwidth_apply.hpp"
#include "network/names.hpp"

namespace stack::testing {

namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool stack_link(const std::string& name) {
  for (auto prefix : {net::kBridgePrefix, net::kVethPrefix, net::kIfbPrefix})
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

// Every process: pid -> its cmdline with NULs as spaces.
std::vector<std::pair<std::string, std::string>> processes() {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string pid = e.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string args = read_text("/proc/" + pid + "/cmdline");
    for (char& c : args)
      if (c == '\0') c = ' ';
    out.emplace_back(pid, args);
  }
  return out;
}

std::string exe_name(const std::string& pid) {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/" + pid + "/exe", ec);
  return ec ? "" : exe.filename().string();
}

}  // namespace

std::set<std::string> host_objects() {
  std::set<std::string> out;
  std::istringstream links(run("ip -o link show", false).out);
  for (std::string line; std::getline(links, line);) {
    auto a = line.find(": "), b = line.find_first_of("@:", a + 2);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string name = line.substr(a + 2, b - a - 2);
    if (stack_link(name)) out.insert("link " + name);
  }
  for (const auto& [pid, args] : processes()) {
    std::error_code ec;
    auto ns = fs::read_symlink("/proc/" + pid + "/ns/net", ec);
    if (!ec) out.insert("netns " + ns.string());
  }
  std::istringstream mounts(read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    out.insert("mount " + point);
  }
  std::istringstream cgroups(run("find /sys/fs/cgroup -type d -path '*/stack/*' 2>/dev/null", false).out);
  for (std::string line; std::getline(cgroups, line);) out.insert("cgroup " + line);
  std::istringstream tables(run("nft list tables 2>/dev/null", false).out);
  for (std::string line; std::getline(tables, line);)
    if (line.find(" " + std::string(net::kNatTablePrefix)) != std::string::npos) out.insert("nft " + line);
  return out;
}

LeakCheck::LeakCheck(std::string tmp, std::string root, std::string run_root)
    : tmp_(std::move(tmp)), root_(std::move(root)), run_root_(std::move(run_root)), before_(host_objects()) {}

void LeakCheck::note_journals() const {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(run_root_ + "/stacks", ec)) {
    std::istringstream in(read_text(e.path().string() + "/journal"));
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || j.value("op", "") != "add" || !j.contains("data")) continue;
      const auto& d = j["data"];
      std::string kind = j.value("kind", "");
      if ((kind == "veth" || kind == "bridge") && d.contains("name")) links_.insert(d.value("name", ""));
      if (kind == "bandwidth" && d.contains("link")) {
        links_.insert(d.value("link", ""));
        links_.insert(d.contains("ifb") ? d.value("ifb", "") : net::ifb_name(d.value("link", "")));
      }
    }
  }
}

std::string LeakCheck::leaked(const std::vector<std::string>& projects) const {
  note_journals();
  std::string left = leaked_once(projects);
  for (int i = 0; i < 30 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = leaked_once(projects);
  }
  return left;
}

std::string LeakCheck::leaked_once(const std::vector<std::string>& projects) const {
  std::string out;
  const std::string& t = tmp_;
  for (const auto& p : projects) {
    out += run("ls -A " + run_root_ + "/stacks/" + p + " 2>/dev/null", false).out;
    out += run("ls -A " + root_ + "/stacks/" + p + " 2>/dev/null", false).out;
    out += run("grep -F ' " + p + "' " + root_ + "/network/ipam.state 2>/dev/null", false).out;
    links_.insert(net::bridge_name(p, "default"));
  }
  out += run("ls -A " + root_ + "/containers 2>/dev/null", false).out;
  // Processes: the supervisor (its arguments name our run root) and whatever still
  // runs in a stack's cgroup (a container's exe path is inside its own mount ns).
  bool quiet = true;
  std::set<std::string> our_netns;
  for (const auto& [pid, args] : processes()) {
    if (pid == std::to_string(::getpid())) continue;
    std::string cg = read_text("/proc/" + pid + "/cgroup");
    bool ours = has(args, t);
    for (const auto& p : projects) ours = ours || has(cg, "/stack/" + p + "/") || has(cg, "/stack/" + p + "\n");
    std::error_code ec;
    if (ours) {
      out += "process " + pid + " " + args + "\n";
      our_netns.insert("netns " + fs::read_symlink("/proc/" + pid + "/ns/net", ec).string());
    }
    std::string exe = exe_name(pid);
    if (!ours && (exe == "stack" || exe.rfind("stack-", 0) == 0 || exe.rfind("integration_", 0) == 0)) quiet = false;
  }
  for (const auto& o : host_objects()) {
    if (before_.count(o)) continue;
    std::string kind = o.substr(0, o.find(' ')), name = o.substr(kind.size() + 1);
    bool ours = our_netns.count(o) || (kind == "mount" && has(name, t)) || (kind == "link" && links_.count(name));
    for (const auto& p : projects)
      ours = ours || (kind == "cgroup" && has(name + "/", "/stack/" + p + "/")) ||
             (kind == "nft" && has(name, net::nat_table_name(p)));
    // Other new stack-named objects (links, cgroups, tables; not netns or mounts, which
    // any container engine makes) count only where nothing else that makes stacks runs
    // (a `stack` binary, another integration test), since theirs look the same.
    bool stack_named = kind == "link" || kind == "cgroup" || kind == "nft";
    if (ours || (quiet && stack_named)) out += o + "\n";
  }
  return out;
}

StackFixture::StackFixture(const std::string& tag, const std::string& image_tag)
    : tmp("stack-" + tag + "-" + std::to_string(::getpid())),
      image("busybox:" + (image_tag.empty() ? tag : image_tag)),
      tag_(tag) {
  static int counter = 0;
  project = tag + std::to_string(::getpid()) + "x" + std::to_string(++counter);
  projects_.push_back(project);
  require_root();
  auto mk = run(source_dir() + "/tests/support/mkbusybox " + tmp.path() + "/layer");
  if (mk.status != 0) {
    run("rm -rf " + tmp.path());  // skip() exits without destructors
    skip("mkbusybox failed: " + mk.out);
  }
  auto imp = run(stack_binary() + " --root " + root + " image import " + image + " " + tmp.path() + "/layer");
  INFO(imp.out);
  REQUIRE(imp.status == 0);
}

StackFixture::~StackFixture() {
  for (const auto& p : projects_) run(cmd_in(p, "down -t 0") + " >/dev/null 2>&1");
  for (const auto& p : projects_)
    run("find /sys/fs/cgroup -depth -type d -path '*/stack/" + p + "*' -exec rmdir {} \\; 2>/dev/null");
}

std::string StackFixture::add_project(const std::string& suffix) {
  std::string p = tag_ + std::to_string(::getpid()) + suffix;
  if (std::find(projects_.begin(), projects_.end(), p) == projects_.end()) projects_.push_back(p);
  return p;
}

std::string StackFixture::file_of(const std::string& p) const {
  return p == project ? file : tmp.path() + "/" + p + ".yaml";
}

void StackFixture::write_file(const std::string& body) { write_file_in(project, body); }

void StackFixture::write_file_in(const std::string& p, const std::string& body) {
  if (std::find(projects_.begin(), projects_.end(), p) == projects_.end()) projects_.push_back(p);
  std::ofstream(file_of(p)) << "name: " << p << "\n" << body;
}

std::string StackFixture::cmd_in(const std::string& p, const std::string& args) const {
  leaks_.note_journals();  // the journal of an `up` is read before the `down` that ends it
  return stack_binary() + " --root " + root + " --run-root " + run_root + " -f " + file_of(p) + " " + args;
}

std::vector<nlohmann::json> StackFixture::ps_in(const std::string& p) const {
  return json_lines(run(cmd_in(p, "ps -a --format json"), false).out);
}

nlohmann::json StackFixture::container(const std::string& service) const { return find(ps(), "Service", service); }

std::string StackFixture::name(const std::string& service, int n) const {
  return project + "-" + service + "-" + std::to_string(n);
}

int StackFixture::pid(const std::string& service, int n) const {
  return find(ps(), "Name", name(service, n)).value("Pid", 0);
}

nlohmann::json StackFixture::wait_state(const std::string& service, const std::string& state, int seconds) const {
  nlohmann::json c;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  do {
    c = container(service);
    if (c.value("State", "") == state) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < end);
  return c;
}

std::string StackFixture::logs(const std::string& service) const {
  return run(cmd("logs --no-log-prefix " + service), false).out;
}

int StackFixture::supervisor_pid() const {
  std::ifstream pidf(run_root + "/stacks/" + project + "/supervisor.pid");
  int pid = 0;
  pidf >> pid;
  return pid;
}

void StackFixture::down_clean(const std::string& args) const {
  auto d = run(cmd(args));
  INFO(d.out);
  CHECK(d.status == 0);
  CHECK(leftovers() == "");
}

bool alive(int pid) {
  if (pid <= 0) return false;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(f, stat)) return false;
  auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') out.push_back(nlohmann::json::parse(line));
  return out;
}

nlohmann::json find(const std::vector<nlohmann::json>& list, const std::string& key, const std::string& value) {
  for (const auto& c : list)
    if (c.value(key, "") == value) return c;
  return nlohmann::json::object();
}

int lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace stack::testing
