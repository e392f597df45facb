#include "cmd/up_spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <thread>

#include "cmd/sibling.hpp"
#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::cli {
namespace {

std::vector<std::string> supervisor_args(const Globals& g, const model::Project& p, const std::string& token) {
  std::vector<std::string> a{"stack", "--root", g.root, "--run-root", g.run_root, "-p", p.name};
  for (const auto& f : p.files) a.insert(a.end(), {"-f", f});
  a.insert(a.end(), {"--project-directory", p.working_dir});
  for (const auto& e : g.env_files) a.insert(a.end(), {"--env-file", e});
  for (const auto& pr : g.profiles) a.insert(a.end(), {"--profile", pr});
  if (g.debug) a.push_back("--debug");
  if (!g.cgroup_parent.empty()) a.insert(a.end(), {"--cgroup-parent", g.cgroup_parent});
  a.push_back("__supervisor");
  if (g.ignore_unenforced_limits) a.push_back("--ignore-unenforced-limits");
  if (!token.empty()) a.insert(a.end(), {"--load-token", token});
  return a;
}

// 16 hex digits from getrandom(2); empty if it fails (the first apply then loads).
std::string random_token() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof v, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof v)) return {};
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

// The supervisor is its own program (stack-supervisor, next to this binary: the same main
// with only the __supervisor command), so the process that lives as long as the stack maps
// none of the other commands' code. It gets the write end of `ready` as fd 3 and writes a
// byte there once its control socket listens (its exit closes it without one).
struct Spawned {
  pid_t pid;
  UniqueFd ready;
};

Result<Spawned> spawn(std::vector<std::string> args, const std::string& log) {
  auto program = sibling_program("stack-supervisor");
  if (!program) return unexpected(program.error().wrap("finding the supervisor program"));
  if (::access(program->c_str(), X_OK) != 0)
    return fail_errno("cannot run the supervisor program '" + *program + "' (it is installed next to the stack binary)");
  args.insert(args.end(), {"--ready-fd", "3"});
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  int rp[2];
  if (::pipe2(rp, O_CLOEXEC) != 0) return fail_errno("failed to create a pipe for the supervisor");
  UniqueFd ready(rp[0]), ready_w(rp[1]);
  UniqueFd out(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!out) return fail_errno("failed to open supervisor log '" + log + "'");
  UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!in) return fail_errno("failed to open /dev/null for the supervisor");
  // posix_spawn, not fork: glibc's runs the child in this process's memory until the
  // exec (CLONE_VM | CLONE_VFORK), so neither side copies page tables or faults on the
  // CLI's pages while the stack starts. A session of its own (POSIX_SPAWN_SETSID): no
  // terminal, and the CLI's Ctrl-C does not reach it. A dup2 of fd 3 onto itself clears
  // its FD_CLOEXEC (glibc >= 2.29, as POSIX says).
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  if (int rc = ::posix_spawn_file_actions_init(&fa); rc != 0) return fail_errno(rc, "posix_spawn_file_actions_init");
  if (int rc = ::posix_spawnattr_init(&attr); rc != 0) {
    ::posix_spawn_file_actions_destroy(&fa);
    return fail_errno(rc, "posix_spawnattr_init");
  }
  int rc = ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  for (auto [from, to] : {std::pair{in.get(), 0}, {out.get(), 1}, {out.get(), 2}, {ready_w.get(), 3}})
    if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&fa, from, to);
  pid_t pid = -1;
  if (rc == 0) rc = ::posix_spawn(&pid, program->c_str(), &fa, &attr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&fa);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return fail_errno(rc, "failed to start the supervisor program '" + *program + "'");
  return Spawned{pid, std::move(ready)};
}

// Until the supervisor says its socket listens (true) or exits (false), or the deadline.
bool wait_ready(int fd, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;
    char byte;
    ssize_t n;
    do n = ::read(fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
  }
}

std::string last_line(const std::string& path) {
  auto text = read_file(path);
  if (!text) return "no log";
  std::string t = *text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

std::string supervisor_log(const state::Layout& layout) { return layout.stack_dir() + "/supervisor.log"; }

Result<supervisor::ControlClient> connect_or_start(const Globals& g, const model::Project& project,
                                                   const state::Layout& layout, std::chrono::milliseconds timeout,
                                                   std::string* load_token) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pid_t child = 0;
  for (;;) {
    auto c = supervisor::ControlClient::connect(layout.control_socket());
    if (c) return c;
    if (child == 0) {
      STACK_TRY(layout.ensure());
      // A supervisor that finds the stack locked (3, below) has none of ours: another's
      // token does not match it, and its first apply loads the files as before.
      std::string token = load_token ? random_token() : std::string();
      if (load_token) *load_token = token;
      auto spawned = spawn(supervisor_args(g, project, token), supervisor_log(layout));
      if (!spawned) {
        ::rmdir(layout.stack_dir().c_str());  // ensure()'s, if still empty: nothing half-made is left
        return unexpected(spawned.error());
      }
      child = spawned->pid;
      // No polling for the socket: its byte comes once it listens; without one it exited.
      bool listens = wait_ready(spawned->ready.get(), deadline);
      if (listens) continue;
    }
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      child = 0;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 3) {
        std::string why = last_line(supervisor_log(layout));
        ::unlink(supervisor_log(layout).c_str());
        ::rmdir(layout.stack_dir().c_str());
        return fail("the supervisor of stack " + project.name + " failed: " + why);
      }
      // Locked: another up's supervisor is starting; its socket will come.
    }
    if (std::chrono::steady_clock::now() > deadline)
      return fail("timed out waiting for the supervisor of stack " + project.name);
    std::this_thread::sleep_for(std::chrono::milliseconds(child ? 20 : 100));
  }
}

}  // namespace stack::cli
