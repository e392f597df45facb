#include "engine/runtime/exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "engine/base/fd_passing.hpp"
#include "engine/base/pidfd_wait.hpp"
#include "engine/runtime/clone3.hpp"
#include "engine/runtime/errors.hpp"
#include "engine/runtime/exec_child.hpp"
#include "engine/runtime/exec_plan.hpp"
#include "engine/runtime/sync.hpp"
#include "engine/runtime/users.hpp"

namespace stack::engine::runtime {
namespace {

constexpr int kSetupTimeoutMs = 10'000;
constexpr const char* kNotFound = "executable file not found";

bool alive(int pidfd) { return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0; }

void kill_and_reap(int pidfd) {
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  siginfo_t info{};
  (void)wait_pidfd(pidfd, &info);
}

// The container's passwd and group, through its root (/proc/<pid>/root) with
// RESOLVE_IN_ROOT: a symlink in the container cannot make us read a host file.
Result<ExecUser> resolve_exec_user(const ExecTarget& t, const std::string& who) {
  std::string root = "/proc/" + std::to_string(t.pid) + "/root";
  auto passwd = read_in_root(root, "/etc/passwd");
  if (!passwd) return unexpected(passwd.error());
  auto group = read_in_root(root, "/etc/group");
  if (!group) return unexpected(group.error());
  if (!alive(t.pidfd)) return fail("container " + t.name + " is not running");
  auto r = resolve_user(who, t.spec->process.group_add, parse_passwd(*passwd), parse_group(*group));
  if (!r) return unexpected(r.error().wrap("user " + who));
  return ExecUser{r->user, r->home};
}

const char* ns_file(int flag) {
  switch (flag) {
    case CLONE_NEWPID: return "pid";
    case CLONE_NEWNS: return "mnt";
    case CLONE_NEWUTS: return "uts";
    case CLONE_NEWIPC: return "ipc";
    case CLONE_NEWNET: return "net";
    case CLONE_NEWUSER: return "user";
    default: return "cgroup";
  }
}

// The fds the helper uses, opened before the clone; the plan only holds their numbers.
struct PlanFds {
  std::vector<UniqueFd> ns, procs;
  UniqueFd v2_procs;  // cgroup.procs under cgroup_fd, should clone3 be filtered
};

Result<void> add_targets(ExecPlan& plan, PlanFds& fds, const ExecTarget& t) {
  plan.target_pidfd = t.pidfd;
  // The user namespace first: the others belong to it, and setns(2) into them needs
  // CAP_SYS_ADMIN there, which joining it gives. The mount namespace last: joining it
  // changes our root (setns(2)).
  for (auto type : {NamespaceType::kUser, NamespaceType::kIpc, NamespaceType::kUts, NamespaceType::kNet, NamespaceType::kPid,
                    NamespaceType::kCgroup, NamespaceType::kMount}) {
    if (!has_namespace(*t.spec, type)) continue;
    int flag = clone_flag(type);
    plan.ns_flags |= flag;
    std::string path = "/proc/" + std::to_string(t.pid) + "/ns/" + ns_file(flag);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + path);
    plan.ns_fds.emplace_back(fd.get(), flag);
    fds.ns.push_back(std::move(fd));
  }
  for (const auto& p : t.cgroup_join) {
    UniqueFd fd(::open(p.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + p);
    plan.cgroup_join.push_back(fd.get());
    fds.procs.push_back(std::move(fd));
  }
  if (t.cgroup_fd >= 0) {
    fds.v2_procs.reset(::openat(t.cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC));
    if (!fds.v2_procs) return fail_errno("opening the container's cgroup.procs");
  }
  // Everything was opened by pid: make sure it was still the container then.
  if (!alive(t.pidfd)) return fail("container " + t.name + " is not running");
  return {};
}

// Clones the helper into the container's cgroup (v2) and returns its pidfd.
Result<UniqueFd> clone_helper(ExecPlan& plan, const PlanFds& fds, int cgroup_fd, int sync_child, int sync_parent) {
  int pidfd = -1;
  CloneArgs args{};
  args.flags = CLONE_PIDFD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == EINVAL && cgroup_fd >= 0) {  // Linux < 5.7: the helper joins by cgroup.procs
    if (fds.v2_procs) plan.cgroup_join.push_back(fds.v2_procs.get());
    args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
    args.cgroup = 0;
    pid = ::syscall(SYS_clone3, &args, sizeof args);
  }
  if (pid < 0 && errno == ENOSYS) {  // clone3 filtered: the helper joins by cgroup.procs
    if (fds.v2_procs) plan.cgroup_join.push_back(fds.v2_procs.get());
    pid = ::syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  }
  if (pid == 0) {
    ::close(sync_parent);
    run_exec_helper(plan, sync_child);
  }
  if (pid < 0) return fail_errno("cloning the exec helper");
  return UniqueFd(pidfd);
}

struct Reply {
  SyncMessage m{};
  UniqueFd fd;
  ssize_t n = 0;
};

Result<Reply> receive(int sync, std::chrono::steady_clock::time_point deadline) {
  Reply r;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{sync, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail_errno("waiting for the exec helper");
    if (rc == 0) return fail("the process did not start within 10 s (is the container paused?)");
    int fd = -1;
    r.n = recv_with_fd(sync, &r.m, sizeof r.m, &fd);
    if (r.n < 0 && errno == EINTR) continue;
    if (r.n < 0) return fail_errno("reading from the exec helper");
    r.fd.reset(fd);
    return r;
  }
}

Error describe(const SyncMessage& m, const ChildPlan& plan, const std::string& name) {
  if (m.step == Step::kExec && (m.err == ENOENT || m.err == ENOTDIR))
    return Error{m.err, "exec: \"" + plan.args[0] + "\": " + kNotFound + (plan.args[0].find('/') == std::string::npos
                                                                              ? " in $PATH" : "")};
  return describe_child_error(m, plan, "").wrap("exec in " + name);
}

}  // namespace

namespace {

// Reads the helper's and the process's messages up to end-of-file: kPid makes the
// ExecProcess (armed from then on), kExecing then end-of-file means the command runs.
Result<ExecProcess> handshake(UniqueFd sync, const ChildPlan& plan, const std::string& name,
                              std::optional<ExecProcess>& process, UniqueFd& pty) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kSetupTimeoutMs);
  bool execing = false;
  for (;;) {
    auto r = receive(sync.get(), deadline);
    if (!r) return unexpected(r.error().wrap("exec in " + name));
    if (r->n == 0 && execing && process) return std::move(*process);
    if (r->n == 0) return fail("exec in " + name + ": the exec helper died while setting up the process");
    if (r->n != sizeof r->m) return fail("exec in " + name + ": unexpected reply from the exec helper");
    switch (r->m.kind) {
      case SyncKind::kError: return unexpected(describe(r->m, plan, name));
      case SyncKind::kExecing: execing = true; break;
      case SyncKind::kPtyMaster: pty = std::move(r->fd); break;
      case SyncKind::kPid: {
        auto pid = static_cast<pid_t>(r->m.index);
        UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (!fd) return fail_errno("exec in " + name + ": pidfd_open of the process");
        process.emplace(ExecProcess::adopt(pid, std::move(fd)));
        break;
      }
      default: break;
    }
  }
}

}  // namespace

Result<ExecProcess> exec_in(const ExecTarget& target, const ExecOptions& options) {
  if (!target.spec || target.pidfd < 0) return fail("exec in " + target.name + ": the container is not running");
  std::optional<ExecUser> user;
  if (!options.user.empty()) {
    auto u = resolve_exec_user(target, options.user);
    if (!u) return unexpected(u.error().wrap("exec in " + target.name));
    user = std::move(*u);
  }
  auto process = build_exec_process(*target.spec, options, user ? &*user : nullptr);
  if (!process) return unexpected(process.error().wrap("exec in " + target.name));
  ExecPlan plan;
  plan.process = std::move(*process);
  PlanFds fds;
  STACK_TRY_CTX(add_targets(plan, fds, target), "exec in " + target.name);
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  plan.process.seal();
  auto helper = clone_helper(plan, fds, target.cgroup_fd, sv[1], sv[0]);
  if (!helper) return unexpected(helper.error().wrap("exec in " + target.name));
  child_end.reset();
  std::optional<ExecProcess> started;
  UniqueFd pty;
  auto result = handshake(std::move(parent_end), plan.process, target.name, started, pty);
  // The helper exits right after the clone; on a timeout it may still hang in setup.
  if (!result) ::syscall(SYS_pidfd_send_signal, helper->get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  (void)wait_pidfd(helper->get(), &info);
  if (result && options.tty && !pty) return fail("exec in " + target.name + ": no pty master came back");
  if (result) result->pty_master_ = std::move(pty);
  return result;
}

int exec_exit_code(const Error& error) {
  bool not_found = (error.code == ENOENT || error.code == ENOTDIR) && error.message.find(kNotFound) != std::string::npos;
  return not_found ? 127 : 126;
}

ExecProcess ExecProcess::adopt(pid_t pid, UniqueFd pidfd) { return ExecProcess(pid, std::move(pidfd)); }

ExecProcess::ExecProcess(ExecProcess&& o) noexcept
    : pid_(o.pid_), pidfd_(std::move(o.pidfd_)), pty_master_(std::move(o.pty_master_)), reaped_(o.reaped_) {}

ExecProcess::~ExecProcess() {
  if (pidfd_ && !reaped_) kill_and_reap(pidfd_.get());
}

Result<std::optional<ExitStatus>> ExecProcess::try_wait() {
  if (reaped_ || !pidfd_) return fail("exec process " + std::to_string(pid_) + " already waited for");
  siginfo_t info{};
  int rc;
  do rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) return fail_errno("waiting for exec process " + std::to_string(pid_));
  if (info.si_pid == 0) return std::optional<ExitStatus>();
  reaped_ = true;
  return std::optional<ExitStatus>(to_exit_status(info));
}

Result<ExitStatus> ExecProcess::wait() {
  if (reaped_ || !pidfd_) return fail("exec process " + std::to_string(pid_) + " already waited for");
  siginfo_t info{};
  int rc = wait_pidfd(pidfd_.get(), &info);
  if (rc < 0) return fail_errno("waiting for exec process " + std::to_string(pid_));
  reaped_ = true;
  return to_exit_status(info);
}

Result<void> ExecProcess::kill(int signal) {
  if (reaped_ || !pidfd_) return {};
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0 && errno != ESRCH)
    return fail_errno("signalling exec process " + std::to_string(pid_));
  return {};
}

UniqueFd ExecProcess::release() { return std::move(pidfd_); }

}  // namespace stack::engine::runtime
