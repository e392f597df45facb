#pragma once
// Runs a process inside a running container (`stack exec`, healthcheck probes).
//
// exec_in() clones a helper that joins the container's cgroup, then its namespaces
// (setns(2) on the container's pidfd, Linux >= 5.8; /proc/<pid>/ns/* before that), and
// clones the process itself with CLONE_PARENT so that it is in the container's pid
// namespace and is the CALLER's child (reaped through its pidfd, never waitpid(-1)).
// That process gets the same hardening as the container's PID 1 (rlimits, bounding,
// seccomp, user and groups, capabilities, no_new_privs) from a plan made before the
// clone (style rules 5 and 6), enters the working directory and execs the command.
//
// exec_in() returns once the command runs (a few ms: it does not wait for it to end);
// a setup failure names the step and errno text, and exec_exit_code() gives Docker's
// exit code for it (127 the command was not found, 126 anything else).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/runtime/container.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// A running container, as exec needs it. Everything is borrowed and only read during
// exec_in().
struct ExecTarget {
  std::string name;           // for error messages: "web-1"
  pid_t pid = -1;             // the container's PID 1, as the caller's pid namespace sees it
  int pidfd = -1;             // its pidfd (keeps pid from being reused while we look)
  const Spec* spec = nullptr; // the container's spec, user resolved (Container::spec())
  // The container's cgroup, entered as its launch did (Spec::cgroup_fd, cgroup_join). v2
  // and hybrid: a cgroup2 directory fd the helper is cloned into (CLONE_INTO_CGROUP).
  // v1/hybrid: the files (v1 tasks) the helper writes "0" into before any setns.
  // Both empty: the process stays in the caller's cgroup (tests without cgroups only).
  int cgroup_fd = -1;
  std::vector<std::string> cgroup_join;
};

struct ExecOptions {
  std::vector<std::string> args;  // args[0] looked up in PATH of the resulting env
  std::vector<std::string> env;   // "K=V", overriding the container's; "K" alone is ignored
  // compose -u: "name", "uid", "name:group", "uid:gid", resolved from the CONTAINER's
  // /etc/passwd and /etc/group (read through /proc/<pid>/root with RESOLVE_IN_ROOT).
  // Empty: the container's user. HOME follows the user unless env sets it.
  std::string user;
  std::string workdir;  // absolute, inside the container; empty: the container's
  Stdio stdio;          // become 0, 1 and 2 (the caller keeps ownership); ignored with tty
  // A pty from the container's own devpts (its /dev/ptmx): the slave becomes 0, 1, 2 and
  // the controlling terminal (setsid + TIOCSCTTY); ExecProcess::take_pty_master() hands
  // out the master. (Detaching is the caller's business: it just does not wait.)
  bool tty = false;
  // The pty's window size, set before the process runs (0: leave the kernel's 0x0).
  unsigned short rows = 0, cols = 0;
};

class ExecProcess {
 public:
  // Takes over a child of ours (exec_in() does), armed: killed and reaped if dropped.
  static ExecProcess adopt(pid_t pid, UniqueFd pidfd);
  ExecProcess(ExecProcess&& o) noexcept;
  ExecProcess& operator=(ExecProcess&&) = delete;
  ~ExecProcess();  // SIGKILL and reap, unless waited for or released (style rule 4)

  pid_t pid() const { return pid_; }
  // Becomes readable (POLLIN) when the process exits: put it in a uv_poll_t, then
  // call try_wait().
  int pidfd() const { return pidfd_.get(); }
  // The pty master (tty only; invalid afterwards or without tty).
  UniqueFd take_pty_master() { return std::move(pty_master_); }

  // Non-blocking (waitid WNOHANG): the status once it exited, nullopt while it runs.
  Result<std::optional<ExitStatus>> try_wait();
  // Blocks until it exits.
  Result<ExitStatus> wait();
  Result<void> kill(int signal);
  // Leaves the process running and unreaped; the pidfd is handed to the caller.
  UniqueFd release();

 private:
  friend Result<ExecProcess> exec_in(const ExecTarget&, const ExecOptions&);
  ExecProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd pty_master_;
  bool reaped_ = false;
};

Result<ExecProcess> exec_in(const ExecTarget& target, const ExecOptions& options);

// Docker's exit code for an exec_in() failure: 127 when the command was not found,
// 126 when it could not be executed or the setup failed.
int exec_exit_code(const Error& error);

}  // namespace stack::engine::runtime
