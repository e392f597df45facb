// The exec helper's fixed sequence (style rule 6). Only system calls (sys.hpp) on the
// plan made before the clone: the caller may have threads, so the heap may be in any
// state here.
#include "engine/runtime/exec_child.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "engine/runtime/child_ops.hpp"
#include "engine/runtime/child_steps.hpp"
#include "engine/runtime/sys.hpp"

namespace stack::engine::runtime {
namespace {

using child::check;
using child::die;

void send_kind(int sync_fd, SyncKind kind, uint32_t index) {
  SyncMessage m{kind, Step::kExec, index, 0};
  (void)sys::call(SYS_sendto, sync_fd, &m, sizeof m, MSG_NOSIGNAL, nullptr, 0);
}

// cgroups(7): writing "0" moves the writer (into a v1 tasks file: this single-threaded
// helper alone, without the grace period of a cgroup.procs write). Done before joining
// the container's cgroup namespace, from which the host's groups are out of reach.
void join_cgroup(const ExecPlan& plan, int sync_fd) {
  for (size_t i = 0; i < plan.cgroup_join.size(); ++i)
    if (long n = sys::call(SYS_write, plan.cgroup_join[i], "0", 1); n != 1)
      die(sync_fd, Step::kJoinCgroup, n < 0 ? static_cast<int>(-n) : EIO, static_cast<uint32_t>(i));
}

// setns(2) with a pidfd enters several namespaces at once (Linux >= 5.8); older kernels
// say EINVAL for a pidfd, and then each /proc/<pid>/ns file is joined on its own.
// With the container's user namespace (joined first), our ids - the host's root - are
// unmapped there; as the container's first process does, become the namespace's root
// (capabilities(7): the ids were not that namespace's root before, so nothing is lost),
// so that the pty and the process get mapped ids.
void join_namespaces(const ExecPlan& plan, int sync_fd) {
  if (long rc = sys::call(SYS_setns, plan.target_pidfd, plan.ns_flags); rc < 0) {
    if (rc != -EINVAL || plan.ns_fds.empty()) die(sync_fd, Step::kJoinNamespace, static_cast<int>(-rc));
    for (const auto& [fd, type] : plan.ns_fds) check(sys::call(SYS_setns, fd, type), sync_fd, Step::kJoinNamespace);
  }
  if (plan.ns_flags & CLONE_NEWUSER) {
    check(sys::call(SYS_setresgid, 0, 0, 0), sync_fd, Step::kSetgid);
    check(sys::call(SYS_setresuid, 0, 0, 0), sync_fd, Step::kSetuid);
  }
}

[[noreturn]] void run_process(const ChildPlan& plan, int sync_fd) {
  check(sys::call(SYS_setsid), sync_fd, Step::kSession);
  child::set_rlimits(plan, sync_fd);
  child::setup_stdio(plan, sync_fd);
  child::enter_workdir(plan, sync_fd);
  child::drop_privileges(plan, sync_fd);
  (void)sys::call(SYS_umask, 022);
  child::exec_command(plan, sync_fd);
}

}  // namespace

void run_exec_helper(ExecPlan& plan, int sync_fd) {
  (void)sys::call(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  child::reset_signals();
  (void)sys::call(SYS_umask, 0);
  join_cgroup(plan, sync_fd);
  join_namespaces(plan, sync_fd);
  // Inside the container's mount namespace by now: /dev/ptmx is its own devpts.
  if (plan.process.terminal) {
    int slave = child::open_pty(plan.process, sync_fd);
    for (int& fd : plan.process.stdio) fd = slave;
  }
  // Joining a pid namespace affects only children (pid_namespaces(7)); CLONE_PARENT makes
  // the process our caller's child, so the caller reaps it through its pidfd.
  long pid = check(sys::call(SYS_clone, CLONE_PARENT, nullptr, nullptr, nullptr, nullptr), sync_fd, Step::kExecClone);
  if (pid == 0) {
    (void)sys::call(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
    run_process(plan.process, sync_fd);
  }
  send_kind(sync_fd, SyncKind::kPid, static_cast<uint32_t>(pid));
  sys::exit_now(0);
}

}  // namespace stack::engine::runtime
