// `stack __supervisor` (hidden): the per-stack supervisor that `up` starts detached
// (setsid, stdio to <run-root>/stacks/<project>/supervisor.log). It holds the stack's
// lock while it lives, so a second supervisor of the project exits with code 3 and
// its `up` talks to this one instead. A journal left by a crashed predecessor is
// replayed first (the stack is cleaned and started afresh).
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "cmd/registry.hpp"
#include "cmd/supervisor_stack.hpp"
#include "cmd/up_common.hpp"
#include "cmd/up_teardown.hpp"
#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"
#include "engine/state/lock.hpp"
#include "engine/supervisor/heap_trim.hpp"

namespace {

constexpr int kLocked = 3;
// The supervisor gives the heap's free pages back at most this often (heap_trim.hpp).
constexpr uint64_t kTrimIntervalMs = 50;

void log_line(const std::string& s) {
  std::fprintf(stderr, "supervisor[%d]: %s\n", static_cast<int>(::getpid()), s.c_str());
  std::fflush(stderr);
}

// After a failure the log stays for `up` to show (it removes it and the directory).
void remove_run_files(const stack::state::Layout& l, bool keep_log) {
  for (const auto& f : {l.state_file(), l.control_socket(), l.supervisor_pid(), l.lock()}) ::unlink(f.c_str());
  if (keep_log) return;
  ::unlink((l.stack_dir() + "/supervisor.log").c_str());
  ::rmdir(l.stack_dir().c_str());
}

// up's pipe (--ready-fd): one byte once the control socket listens, so that up connects
// then rather than polling for the socket. Closed at once (a failure closes it by exit).
void say_ready(int& fd) {
  if (fd < 0) return;
  (void)!::write(fd, "1", 1);
  ::close(fd);
  fd = -1;
}

stack::Result<void> serve(stack::model::Project project, const stack::state::Layout& layout, const std::string& root,
                          const stack::cli::Globals& g, std::string recovery_note, int& ready_fd,
                          std::string load_token) {
  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc < 0) return stack::fail_uv(rc, "failed to create an event loop");
  // libuv makes its thread pool on the first uv_queue_work and blocks there until every
  // thread has started: 2.4 ms of the loop, measured in the middle of an up (the first
  // state.json write), while up's apply request waited. Queued now, before the stack's
  // networks are made, the pool starts while the loop waits on the kernel instead.
  struct Warm {
    uv_work_t req{};
    bool done = false;
  } warm;
  warm.req.data = &warm;
  bool warming = uv_queue_work(&loop, &warm.req, [](uv_work_t*) {},
                               [](uv_work_t* r, int) { static_cast<Warm*>(r->data)->done = true; }) == 0;
  stack::Result<void> result;
  {
    auto sup = stack::cli::StackSupervisor::create(&loop, std::move(project), layout, root);
    if (!sup) {
      result = stack::unexpected(sup.error());
    } else {
      say_ready(ready_fd);
      (*sup)->ignore_unenforced_limits(g.ignore_unenforced_limits);
      (*sup)->cgroup_parent(g.cgroup_parent);
      (*sup)->note_recovery(std::move(recovery_note));
      (*sup)->load_token(std::move(load_token));
      (*sup)->start();
      log_line("started");
      auto trimmer = stack::supervisor::HeapTrimmer::create(&loop, kTrimIntervalMs);
      if (!trimmer) log_line(trimmer.error().message);
      while (!(*sup)->finished()) {
        uv_run(&loop, UV_RUN_ONCE);
        if (trimmer) (*trimmer)->busy();
      }
      result = (*sup)->outcome();
    }
  }
  while (warming && !warm.done) uv_run(&loop, UV_RUN_ONCE);  // a pool thread may still post to the loop
  auto closed = stack::uv_close_loop(&loop);
  if (result && !closed) return closed;
  return result;
}

// The kernel grows a process's fd table by doubling it, and while the table is shared by
// threads each growth waits out an RCU grace period (expand_fdtable's synchronize_rcu),
// 10-25 ms here, on whichever thread opened the fd: in `up`, the loop's or a pool
// thread's (sched_switch trace of `up -d` of 100: 130 ms blocked in expand_files, 21
// waits). A running service holds ~9 of the supervisor's fds (log pipes, pidfds, oom
// eventfd and file, log file, journal, cgroup dir), one that is starting up to ~16 (its
// sync socket, its child's pipe ends, a hybrid host's seven v1 tasks files): grown once
// here, before the loop's pool exists, for the stack as loaded.
void reserve_fds(const stack::model::Project& project) {
  uint64_t replicas = 0;
  for (const auto& [name, s] : project.services) replicas += s.replicas();
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0) return;
  uint64_t want = std::min<uint64_t>(64 + 16 * replicas, nofile.rlim_cur);
  stack::UniqueFd any(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!any || want < 2) return;
  stack::UniqueFd high(::fcntl(any.get(), F_DUPFD_CLOEXEC, static_cast<int>(want - 1)));  // a table of >= want fds
}

int supervise(const stack::cli::Globals& g, int ready_fd, std::string load_token) {
  // Not for nft or any child: up reads it until EOF.
  if (ready_fd >= 0 && ::fcntl(ready_fd, F_SETFD, FD_CLOEXEC) != 0) ready_fd = -1;
  // Its threads are libuv's pool, which runs short jobs: one more heap than the loop's
  // suffices, rather than glibc's default of an arena per thread, each with pages of its own.
  ::mallopt(M_ARENA_MAX, 2);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  auto project = stack::cli::load_project(g);
  if (!project) return stack::cli::report(project.error().message);
  auto layout = stack::cli::stack_layout(g, project->name);
  if (!layout) return stack::cli::report(layout.error().message);
  if (auto r = layout->ensure(); !r) return stack::cli::report(r.error().message);
  auto lock = stack::state::LockFile::acquire(layout->lock(), std::chrono::milliseconds(0));
  if (!lock) {
    log_line(lock.error().message);
    return kLocked;
  }
  std::string note;
  if (lock->stale_pid()) log_line("a previous holder (pid " + std::to_string(lock->stale_pid()) + ") died; cleaning its objects");
  if (::access(layout->journal().c_str(), F_OK) == 0)
    note = "stack: cleaned up the remains of stack " + project->name + " whose supervisor died" +
           (lock->stale_pid() ? " (pid " + std::to_string(lock->stale_pid()) + ")" : "") + "; starting it afresh";
  if (auto r = stack::cli::replay_stack_journal(*layout); !r) {
    log_line("cleaning after a crashed supervisor failed: " + r.error().message);
    return 1;
  }
  // It names a process: no fsync (Durability), a reboot ends both.
  if (auto r = stack::write_file_atomic(layout->supervisor_pid(), std::to_string(::getpid()) + "\n", 0644,
                                        stack::Durability::kProcessCrash);
      !r)
    return stack::cli::report(r.error().message);
  reserve_fds(*project);
  auto served = serve(std::move(*project), *layout, g.root, g, std::move(note), ready_fd, std::move(load_token));
  int code = 0;
  if (!served) {
    log_line(served.error().message);
    if (auto r = stack::cli::replay_stack_journal(*layout); !r) log_line(r.error().message);
    code = 1;
  }
  remove_run_files(*layout, code != 0);
  lock->release();
  return code;
}

stack::cli::Registrar reg("__supervisor", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto* sub = app.add_subcommand("__supervisor", "The stack's supervisor (started by up)");
  sub->group("");  // hidden
  sub->add_flag("--ignore-unenforced-limits", g.ignore_unenforced_limits, "up's flag");
  auto ready_fd = std::make_shared<int>(-1);
  auto load_token = std::make_shared<std::string>();
  sub->add_option("--ready-fd", *ready_fd, "up's pipe: a byte once the control socket listens");
  sub->add_option("--load-token", *load_token, "up's word: its first apply takes the project loaded at start");
  return [&g, ready_fd, load_token] { return supervise(g, *ready_fd, *load_token); };
});

}  // namespace
