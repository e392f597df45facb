// The child's fixed sequence (style rule 6). Only system calls on the sealed plan: the
// launcher may have threads, so the heap and every lock may be in any state here.
#include "engine/runtime/child.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/fd_passing.hpp"
#include "engine/runtime/child_ops.hpp"
#include "engine/runtime/child_steps.hpp"
#include "engine/runtime/sync.hpp"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace stack::engine::runtime {
namespace child {

void die(int sync_fd, Step step, int err, uint32_t index) {
  SyncMessage m{SyncKind::kError, step, index, err};
  (void)::send(sync_fd, &m, sizeof m, MSG_NOSIGNAL);
  ::_exit(127);
}

#define CHILD_CHECK(cond, step)                  \
  do {                                           \
    if (!(cond)) die(sync_fd, (step), errno);    \
  } while (0)

void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // EINVAL for KILL/STOP/libc's own: fine
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace child
namespace {
using child::die;

// The parent says go once cgroup and network are set; EOF means it died: give up.
void wait_for_go(int sync_fd) {
  SyncMessage m{};
  ssize_t n;
  do n = ::recv(sync_fd, &m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  if (n != sizeof m || m.kind != SyncKind::kGo) ::_exit(126);
}

// The rootfs bound onto itself: pivot_root(2) refuses a new root that is a locked mount
// (EINVAL), which the overlay is once the mount namespace belongs to a user namespace;
// the bind made here is ours. Done while our ids are still the host's root, which owns
// the dirs on the way (a user namespace's root has no say over them).
int open_root(const ChildPlan& plan, int sync_fd) {
  CHILD_CHECK(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, Step::kMountPrivate);
  int dir = ::open(plan.rootfs_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHILD_CHECK(dir >= 0, Step::kOpenRoot);
  int cur = ::openat(dir, plan.rootfs_name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  CHILD_CHECK(cur >= 0, Step::kOpenRoot);
  char buf[32];
  CHILD_CHECK(::mount(child::fd_path(cur, buf), buf, nullptr, MS_BIND | MS_REC, nullptr) == 0, Step::kOpenRoot);
  ::close(cur);
  int root = ::openat(dir, plan.rootfs_name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  CHILD_CHECK(root >= 0, Step::kOpenRoot);
  ::close(dir);
  return root;
}

void build_rootfs(const ChildPlan& plan, int root, int sync_fd) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    int err = child::run_op(root, plan.ops[i]);
    if (err && !plan.ops[i].optional) die(sync_fd, Step::kOp, err, static_cast<uint32_t>(i));
  }
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only
  // the rootfs (pivot_root(2) NOTES).
  CHILD_CHECK(::fchdir(root) == 0, Step::kPivotRoot);
  ::close(root);
  CHILD_CHECK(::syscall(SYS_pivot_root, ".", ".") == 0, Step::kPivotRoot);
  CHILD_CHECK(::umount2(".", MNT_DETACH) == 0, Step::kPivotRoot);
  CHILD_CHECK(::chdir("/") == 0, Step::kPivotRoot);
  if (plan.readonly_root)
    CHILD_CHECK(::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, nullptr) == 0,
                Step::kReadonlyRoot);
}

// A new network namespace has lo down (netdevice(7): SIOCSIFFLAGS); Docker raises it
// even with `network: none`, and programs expect 127.0.0.1 to work.
void loopback_up(int sync_fd) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CHILD_CHECK(s >= 0, Step::kLoopback);
  struct ifreq ifr {};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  CHILD_CHECK(::ioctl(s, SIOCGIFFLAGS, &ifr) == 0, Step::kLoopback);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  CHILD_CHECK(::ioctl(s, SIOCSIFFLAGS, &ifr) == 0, Step::kLoopback);
  ::close(s);
}

}  // namespace
namespace child {

// The master goes back to the launcher; the slave (TIOCGPTPEER: no path lookup in the
// container) becomes the process's stdio.
int open_pty(const ChildPlan& plan, int sync_fd) {
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHILD_CHECK(root >= 0, Step::kOpenPty);
  int master = child::resolve(root, "/dev/ptmx", O_RDWR | O_NOCTTY);
  CHILD_CHECK(master >= 0, Step::kOpenPty);
  ::close(root);
  int unlock = 0;
  CHILD_CHECK(::ioctl(master, TIOCSPTLCK, &unlock) == 0, Step::kOpenPty);
  if (plan.pty_rows || plan.pty_cols) {
    winsize ws{plan.pty_rows, plan.pty_cols, 0, 0};
    CHILD_CHECK(::ioctl(master, TIOCSWINSZ, &ws) == 0, Step::kOpenPty);
  }
  int slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHILD_CHECK(slave >= 0, Step::kOpenPty);
  // The user owns their terminal (as login(1) arranges), so tools that reopen it work.
  CHILD_CHECK(::fchown(slave, plan.user.uid, static_cast<gid_t>(-1)) == 0, Step::kOpenPty);
  SyncMessage m{SyncKind::kPtyMaster, Step::kSendPty, 0, 0};
  CHILD_CHECK(send_with_fd(sync_fd, &m, sizeof m, master) == static_cast<ssize_t>(sizeof m), Step::kSendPty);
  ::close(master);
  return slave;
}

void setup_stdio(const ChildPlan& plan, int sync_fd, int tty) {
  int tmp[3];
  for (int i = 0; i < 3; ++i)
    CHILD_CHECK((tmp[i] = ::fcntl(tty >= 0 ? tty : plan.stdio[i], F_DUPFD_CLOEXEC, 3)) >= 0, Step::kStdio);
  for (int i = 0; i < 3; ++i) CHILD_CHECK(::dup2(tmp[i], i) == i, Step::kStdio);  // dup2 clears FD_CLOEXEC
  // Nothing but stdio and the sync socket survives (design invariant 3).
  unsigned s = static_cast<unsigned>(sync_fd);
  if (s > 3) CHILD_CHECK(::syscall(SYS_close_range, 3u, s - 1, 0u) == 0, Step::kCloseFds);
  CHILD_CHECK(::syscall(SYS_close_range, s + 1, ~0u, 0u) == 0, Step::kCloseFds);
  if (plan.terminal) ::ioctl(0, TIOCSCTTY, 0);
}

// CVE-2024-21626: the working directory is opened after pivot_root, inside "/", with
// no magic links, so neither "..", a symlink nor /proc/self/fd/N can lead out.
void enter_workdir(const ChildPlan& plan, int sync_fd) {
  int root = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  CHILD_CHECK(root >= 0, Step::kWorkdir);
  int dir = child::resolve(root, plan.cwd.c_str(), O_PATH | O_DIRECTORY);
  if (dir < 0) die(sync_fd, (errno == ELOOP || errno == EXDEV) ? Step::kWorkdirEscape : Step::kWorkdir, errno);
  CHILD_CHECK(::fchdir(dir) == 0, Step::kWorkdir);
  ::close(dir);
  ::close(root);
  char buf[256];
  long n = ::syscall(SYS_getcwd, buf, sizeof buf);
  if (n > 0 && buf[0] != '/') die(sync_fd, Step::kWorkdirEscape, EXDEV);  // "(unreachable)/..."
}

namespace {
void load_seccomp(const ChildPlan& plan, int sync_fd) {
  sock_fprog prog{static_cast<unsigned short>(plan.seccomp.size()), const_cast<sock_filter*>(plan.seccomp.data())};
  CHILD_CHECK(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0, Step::kSeccomp);
}
}  // namespace

// capabilities(7): bounding first (needs CAP_SETPCAP), then the ids with KEEPCAPS so that
// the permitted set survives setuid, then capset. Without no_new_privs the filter goes
// in before the caps drop (installing it needs CAP_SYS_ADMIN then); the profile allows
// every call that follows.
void drop_privileges(const ChildPlan& plan, int sync_fd) {
  for (int c = 0; c <= plan.last_cap && c < 64; ++c)
    if (!(plan.caps.bounding & (1ULL << c)))
      CHILD_CHECK(::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == 0 || errno == EINVAL, Step::kBounding);
  if (plan.has_seccomp && !plan.no_new_privs) load_seccomp(plan, sync_fd);
  CHILD_CHECK(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, Step::kKeepCaps);
  CHILD_CHECK(::syscall(SYS_setgroups, plan.user.additional_gids.size(), plan.user.additional_gids.data()) == 0,
              Step::kSetgroups);
  CHILD_CHECK(::syscall(SYS_setresgid, plan.user.gid, plan.user.gid, plan.user.gid) == 0, Step::kSetgid);
  CHILD_CHECK(::syscall(SYS_setresuid, plan.user.uid, plan.user.uid, plan.user.uid) == 0, Step::kSetuid);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(plan.caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(plan.caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(plan.caps.inheritable >> (32 * i));
  }
  CHILD_CHECK(::syscall(SYS_capset, &hdr, data) == 0, Step::kCapset);
  CHILD_CHECK(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0, Step::kAmbient);
  for (int c = 0; c < 64; ++c)
    if (plan.caps.ambient & (1ULL << c))
      CHILD_CHECK(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) == 0, Step::kAmbient);
  if (plan.no_new_privs) {
    CHILD_CHECK(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, Step::kNoNewPrivs);
    if (plan.has_seccomp) load_seccomp(plan, sync_fd);
  }
}

void set_rlimits(const ChildPlan& plan, int sync_fd) {
  for (size_t i = 0; i < plan.rlimits.size(); ++i) {
    const Rlimit& r = plan.rlimits[i];
    struct rlimit rl{r.soft, r.hard};
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &rl) != 0)
      die(sync_fd, Step::kRlimit, errno, static_cast<uint32_t>(i));
  }
}

}  // namespace child
namespace {

// init: true. PID 1 stays in this code: it forwards every signal to the command and
// reaps every zombie; it exits with the command's status. It is non-dumpable (set at
// the start), so /proc/1/exe - the host binary - cannot be opened from inside
// (CVE-2019-5736).
void fork_init(int sync_fd) {
  sigset_t all, old;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, &old);
  long pid = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  CHILD_CHECK(pid >= 0, Step::kInitFork);
  if (pid == 0) {
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return;
  }
  ::close(sync_fd);
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&all, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(static_cast<pid_t>(pid), sig);
      continue;
    }
    int status = 0;
    long w;
    while ((w = ::waitpid(-1, &status, WNOHANG)) > 0)
      if (w == pid) ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace
namespace child {

void exec_command(const ChildPlan& plan, int sync_fd) {
  SyncMessage execing{SyncKind::kExecing, Step::kExec, 0, 0};
  (void)::send(sync_fd, &execing, sizeof execing, MSG_NOSIGNAL);
  int err = ENOENT;
  for (const auto& path : plan.exec_candidates) {
    ::execve(path.c_str(), plan.argv.data(), plan.envp.data());
    // execvp(3)'s rule: keep looking after ENOENT/ENOTDIR, remember EACCES.
    if (errno == EACCES) err = EACCES;
    else if (errno != ENOENT && errno != ENOTDIR) { err = errno; break; }
  }
  die(sync_fd, Step::kExec, err);
}

}  // namespace child
namespace {

// Every fd but stdio and plan.keep_fds goes at once (the list is sorted and holds the
// sync socket). A failure is told after go, as the parent reads the socket only then.
void close_unplanned(const ChildPlan& plan, int sync_fd) {
  unsigned next = 3;
  auto close_below = [&](unsigned end) {  // [next, end)
    if (end > next && ::syscall(SYS_close_range, next, end - 1, 0u) != 0) {
      int err = errno;
      wait_for_go(sync_fd);
      die(sync_fd, Step::kCloseFds, err);
    }
  };
  for (int fd : plan.keep_fds) {
    close_below(static_cast<unsigned>(fd));
    next = static_cast<unsigned>(fd) + 1;
  }
  close_below(~0u);
}

}  // namespace

void run_child(const ChildPlan& plan, int sync_fd) {
  close_unplanned(plan, sync_fd);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  child::reset_signals();
  ::umask(0);
  // "0": the writer itself (Spec::cgroup_join). Joined before go, so that any wait of the
  // move runs while the parent still sets up the network; a failure is told after go (the
  // parent reads the sync socket only then).
  for (size_t i = 0; i < plan.cgroup_join.size(); ++i)
    if (::write(plan.cgroup_join[i], "0", 1) != 1) {
      int err = errno;
      wait_for_go(sync_fd);
      die(sync_fd, Step::kJoinCgroup, err, static_cast<uint32_t>(i));
    }
  if (!plan.build_before_go) wait_for_go(sync_fd);
  int root = open_root(plan, sync_fd);
  if (plan.userns_root) {
    // The parent wrote the id maps. Our ids, the host's root, are unmapped here, and a
    // file made with an unmapped fsuid fails (EOVERFLOW): become the namespace's root,
    // which keeps every capability in it (capabilities(7), "Effect of user ID changes").
    CHILD_CHECK(::syscall(SYS_setresgid, 0, 0, 0) == 0, Step::kSetgid);
    CHILD_CHECK(::syscall(SYS_setresuid, 0, 0, 0) == 0, Step::kSetuid);
  }
  for (const auto& [fd, type] : plan.join_ns) CHILD_CHECK(::setns(fd, type) == 0, Step::kJoinNamespace);
  if (plan.unshare_cgroup) CHILD_CHECK(::unshare(CLONE_NEWCGROUP) == 0, Step::kCgroupNamespace);
  CHILD_CHECK(::setsid() >= 0, Step::kSession);
  if (plan.loopback_up) loopback_up(sync_fd);
  build_rootfs(plan, root, sync_fd);
  if (plan.set_hostname)
    CHILD_CHECK(::sethostname(plan.hostname.data(), plan.hostname.size()) == 0, Step::kHostname);
  child::set_rlimits(plan, sync_fd);
  // A failure above, before go, is told at once and the launcher reads it after its go.
  if (plan.build_before_go) wait_for_go(sync_fd);
  child::setup_stdio(plan, sync_fd, plan.terminal ? child::open_pty(plan, sync_fd) : -1);
  child::enter_workdir(plan, sync_fd);
  child::drop_privileges(plan, sync_fd);
  ::umask(022);
  if (plan.init) fork_init(sync_fd);
  child::exec_command(plan, sync_fd);
}

}  // namespace stack::engine::runtime
