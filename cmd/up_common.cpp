#include "cmd/up_common.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "engine/base/file.hpp"

#include "engine/model/load.hpp"
#include "engine/state/lock.hpp"

extern char** environ;

namespace stack::cli {
namespace {

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::string cwd() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? buf : ".";
}

}  // namespace

Result<model::Project> load_project(const Globals& g) { return model::load(load_options(g)); }

model::LoadOptions load_options(const Globals& g) {
  model::LoadOptions o;
  o.files = g.files;
  o.working_dir = cwd();
  o.project_directory = g.project_directory;
  o.project_name = g.project_name;
  o.env_files = g.env_files;
  o.profiles = g.profiles;
  o.environment = environment();
  return o;
}

Result<std::string> project_name(const Globals& g) {
  if (!g.project_name.empty()) return g.project_name;
  auto p = load_project(g);
  if (!p) return unexpected(p.error());
  return p->name;
}

Result<state::Layout> stack_layout(const Globals& g, const std::string& project) {
  return state::Layout::make(g.root, g.run_root, project);
}

std::string container_name(const std::string& project, const std::string& service, uint64_t n) {
  return project + "-" + service + "-" + std::to_string(n);
}

bool stack_running(const state::Layout& layout) {
  struct stat st{};
  return ::stat(layout.control_socket().c_str(), &st) == 0;
}

pid_t read_pid(const std::string& path) {
  auto t = read_file(path);
  if (!t) return 0;
  try {
    return static_cast<pid_t>(std::stol(*t));
  } catch (...) {
    return 0;
  }
}

// proc(5): the state after the command name; 'Z' is a zombie.
static bool running(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z';
}

void wait_gone(pid_t pid) {
  if (pid <= 0) return;
  // pidfd_open(2): the fd turns readable when the process terminates; no 10 ms polls.
  if (int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, 10000);
    while (rc < 0 && errno == EINTR);
    ::close(fd);
    return;
  }
  if (errno == ESRCH) return;
  for (int i = 0; pid > 0 && i < 1000 && running(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace stack::cli
