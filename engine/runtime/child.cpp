// The child's fixed sequence (style rule 6). Only system calls on the sealed plan: the
// launcher may have threads, so the heap and every lock may be in any state here, and on
// x86_64 the child runs in the launcher's own memory until execve (clone_vm.hpp): every
// system call goes through sys.hpp, which never touches errno, and nothing here writes
// to memory but the child's own stack.
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
#include "engine/runtime/sys.hpp"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

namespace stack::engine::runtime {
namespace child {

void die(int sync_fd, Step step, int err, uint32_t index) {
  SyncMessage m{SyncKind::kError, step, index, err};
  (void)sys::call(SYS_sendto, sync_fd, &m, sizeof m, MSG_NOSIGNAL, nullptr, 0);
  sys::exit_now(127);
}

long check(long rc, int sync_fd, Step step) {
  if (rc < 0) die(sync_fd, step, static_cast<int>(-rc));
  return rc;
}

void reset_signals() {
  for (int s = 1; s <= 64; ++s) (void)sys::default_action(s);  // EINVAL for KILL and STOP: fine
  (void)sys::set_signal_mask(0);
}

}  // namespace child
namespace {
using child::check;
using child::die;

// The parent says go once cgroup and network are set; EOF means it died: give up.
void wait_for_go(int sync_fd) {
  SyncMessage m{};
  long n;
  do n = sys::call(SYS_recvfrom, sync_fd, &m, sizeof m, 0, nullptr, nullptr);
  while (n == -EINTR);
  if (n != sizeof m || m.kind != SyncKind::kGo) sys::exit_now(126);
}

// The rootfs bound onto itself: pivot_root(2) refuses a new root that is a locked mount
// (EINVAL), which the overlay is once the mount namespace belongs to a user namespace;
// the bind made here is ours. Done while our ids are still the host's root, which owns
// the dirs on the way (a user namespace's root has no say over them).
int open_root(const ChildPlan& plan, int sync_fd) {
  check(sys::call(SYS_mount, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), sync_fd, Step::kMountPrivate);
  int dir = static_cast<int>(
      check(sys::call(SYS_openat, AT_FDCWD, plan.rootfs_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC), sync_fd,
            Step::kOpenRoot));
  constexpr int kFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  int cur = static_cast<int>(check(sys::call(SYS_openat, dir, plan.rootfs_name.c_str(), kFlags), sync_fd, Step::kOpenRoot));
  char buf[32];
  check(sys::call(SYS_mount, child::fd_path(cur, buf), buf, nullptr, MS_BIND | MS_REC, nullptr), sync_fd, Step::kOpenRoot);
  sys::call(SYS_close, cur);
  int root = static_cast<int>(check(sys::call(SYS_openat, dir, plan.rootfs_name.c_str(), kFlags), sync_fd, Step::kOpenRoot));
  sys::call(SYS_close, dir);
  return root;
}

void build_rootfs(const ChildPlan& plan, int root, int sync_fd) {
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    int err = child::run_op(root, plan.ops[i]);
    if (err && !plan.ops[i].optional) die(sync_fd, Step::kOp, err, static_cast<uint32_t>(i));
  }
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only
  // the rootfs (pivot_root(2) NOTES).
  check(sys::call(SYS_fchdir, root), sync_fd, Step::kPivotRoot);
  sys::call(SYS_close, root);
  check(sys::call(SYS_pivot_root, ".", "."), sync_fd, Step::kPivotRoot);
  check(sys::call(SYS_umount2, ".", MNT_DETACH), sync_fd, Step::kPivotRoot);
  check(sys::call(SYS_chdir, "/"), sync_fd, Step::kPivotRoot);
  if (plan.readonly_root)
    check(sys::call(SYS_mount, nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NODEV, nullptr), sync_fd,
          Step::kReadonlyRoot);
}

// A new network namespace has lo down (netdevice(7): SIOCSIFFLAGS); Docker raises it
// even with `network: none`, and programs expect 127.0.0.1 to work.
void loopback_up(int sync_fd) {
  int s = static_cast<int>(check(sys::call(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), sync_fd, Step::kLoopback));
  struct ifreq ifr {};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  check(sys::call(SYS_ioctl, s, SIOCGIFFLAGS, &ifr), sync_fd, Step::kLoopback);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  check(sys::call(SYS_ioctl, s, SIOCSIFFLAGS, &ifr), sync_fd, Step::kLoopback);
  sys::call(SYS_close, s);
}

}  // namespace
namespace child {

// The master goes back to the launcher; the slave (TIOCGPTPEER: no path lookup in the
// container) becomes the process's stdio.
int open_pty(const ChildPlan& plan, int sync_fd) {
  int root = static_cast<int>(
      check(sys::call(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC), sync_fd, Step::kOpenPty));
  int master = static_cast<int>(check(child::resolve(root, "/dev/ptmx", O_RDWR | O_NOCTTY), sync_fd, Step::kOpenPty));
  sys::call(SYS_close, root);
  int unlock = 0;
  check(sys::call(SYS_ioctl, master, TIOCSPTLCK, &unlock), sync_fd, Step::kOpenPty);
  if (plan.pty_rows || plan.pty_cols) {
    winsize ws{plan.pty_rows, plan.pty_cols, 0, 0};
    check(sys::call(SYS_ioctl, master, TIOCSWINSZ, &ws), sync_fd, Step::kOpenPty);
  }
  int slave = static_cast<int>(
      check(sys::call(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC), sync_fd, Step::kOpenPty));
  // The user owns their terminal (as login(1) arranges), so tools that reopen it work.
  check(sys::call(SYS_fchown, slave, plan.user.uid, -1), sync_fd, Step::kOpenPty);
  SyncMessage m{SyncKind::kPtyMaster, Step::kSendPty, 0, 0};
  FdMessage with_master(&m, sizeof m, master);
  long sent = check(sys::call(SYS_sendmsg, sync_fd, &with_master.msg, MSG_NOSIGNAL), sync_fd, Step::kSendPty);
  if (sent != static_cast<long>(sizeof m)) die(sync_fd, Step::kSendPty, EIO);
  sys::call(SYS_close, master);
  return slave;
}

void setup_stdio(const ChildPlan& plan, int sync_fd, int tty) {
  long tmp[3];
  for (int i = 0; i < 3; ++i)
    tmp[i] = check(sys::call(SYS_fcntl, tty >= 0 ? tty : plan.stdio[i], F_DUPFD_CLOEXEC, 3), sync_fd, Step::kStdio);
  for (int i = 0; i < 3; ++i) check(sys::call(SYS_dup3, tmp[i], i, 0), sync_fd, Step::kStdio);  // without FD_CLOEXEC
  // Nothing but stdio and the sync socket survives (design invariant 3).
  unsigned s = static_cast<unsigned>(sync_fd);
  if (s > 3) check(sys::call(SYS_close_range, 3u, s - 1, 0u), sync_fd, Step::kCloseFds);
  check(sys::call(SYS_close_range, s + 1, ~0u, 0u), sync_fd, Step::kCloseFds);
  if (plan.terminal) (void)sys::call(SYS_ioctl, 0, TIOCSCTTY, 0);
}

// CVE-2024-21626: the working directory is opened after pivot_root, inside "/", with
// no magic links, so neither "..", a symlink nor /proc/self/fd/N can lead out.
void enter_workdir(const ChildPlan& plan, int sync_fd) {
  int root = static_cast<int>(
      check(sys::call(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC), sync_fd, Step::kWorkdir));
  int dir = child::resolve(root, plan.cwd.c_str(), O_PATH | O_DIRECTORY);
  if (dir < 0) die(sync_fd, (dir == -ELOOP || dir == -EXDEV) ? Step::kWorkdirEscape : Step::kWorkdir, -dir);
  check(sys::call(SYS_fchdir, dir), sync_fd, Step::kWorkdir);
  sys::call(SYS_close, dir);
  sys::call(SYS_close, root);
  char buf[256];
  long n = sys::call(SYS_getcwd, buf, sizeof buf);
  if (n > 0 && buf[0] != '/') die(sync_fd, Step::kWorkdirEscape, EXDEV);  // "(unreachable)/..."
}

namespace {
void load_seccomp(const ChildPlan& plan, int sync_fd) {
  sock_fprog prog{static_cast<unsigned short>(plan.seccomp.size()), const_cast<sock_filter*>(plan.seccomp.data())};
  check(sys::call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), sync_fd, Step::kSeccomp);
}
}  // namespace

// capabilities(7): bounding first (needs CAP_SETPCAP), then the ids with KEEPCAPS so that
// the permitted set survives setuid, then capset. Without no_new_privs the filter goes
// in before the caps drop (installing it needs CAP_SYS_ADMIN then); the profile allows
// every call that follows.
void drop_privileges(const ChildPlan& plan, int sync_fd) {
  for (int c = 0; c <= plan.last_cap && c < 64; ++c)
    if (!(plan.caps.bounding & (1ULL << c)))
      if (long rc = sys::call(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0); rc != -EINVAL) check(rc, sync_fd, Step::kBounding);
  if (plan.has_seccomp && !plan.no_new_privs) load_seccomp(plan, sync_fd);
  check(sys::call(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0), sync_fd, Step::kKeepCaps);
  check(sys::call(SYS_setgroups, plan.user.additional_gids.size(), plan.user.additional_gids.data()), sync_fd,
        Step::kSetgroups);
  check(sys::call(SYS_setresgid, plan.user.gid, plan.user.gid, plan.user.gid), sync_fd, Step::kSetgid);
  check(sys::call(SYS_setresuid, plan.user.uid, plan.user.uid, plan.user.uid), sync_fd, Step::kSetuid);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(plan.caps.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(plan.caps.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(plan.caps.inheritable >> (32 * i));
  }
  check(sys::call(SYS_capset, &hdr, data), sync_fd, Step::kCapset);
  check(sys::call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), sync_fd, Step::kAmbient);
  for (int c = 0; c < 64; ++c)
    if (plan.caps.ambient & (1ULL << c))
      check(sys::call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0), sync_fd, Step::kAmbient);
  if (plan.no_new_privs) {
    check(sys::call(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), sync_fd, Step::kNoNewPrivs);
    if (plan.has_seccomp) load_seccomp(plan, sync_fd);
  }
}

void set_rlimits(const ChildPlan& plan, int sync_fd) {
  for (size_t i = 0; i < plan.rlimits.size(); ++i) {
    const Rlimit& r = plan.rlimits[i];
    struct rlimit rl{r.soft, r.hard};
    if (long rc = sys::call(SYS_prlimit64, 0, r.resource, &rl, nullptr); rc < 0)
      die(sync_fd, Step::kRlimit, static_cast<int>(-rc), static_cast<uint32_t>(i));
  }
}

}  // namespace child
namespace {

// init: true. PID 1 stays in this code: it forwards every signal to the command and
// reaps every zombie; it exits with the command's status. It is non-dumpable (set at
// the start), so /proc/1/exe - the host binary - cannot be opened from inside
// (CVE-2019-5736).
// The launcher clones a child that forks this init with its own copy of memory
// (Container::clone_child: no CLONE_VM when plan.init), as init lives on in it.
void fork_init(int sync_fd) {
  unsigned long all = ~0UL;
  (void)sys::set_signal_mask(all);
  long pid = check(sys::call(SYS_clone, SIGCHLD, 0, 0, 0, 0), sync_fd, Step::kInitFork);
  if (pid == 0) {
    (void)sys::set_signal_mask(0);
    return;
  }
  sys::call(SYS_close, sync_fd);
  for (;;) {
    siginfo_t info{};
    long sig = sys::call(SYS_rt_sigtimedwait, &all, &info, nullptr, sizeof all);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      sys::call(SYS_kill, pid, sig);
      continue;
    }
    int status = 0;
    long w;
    while ((w = sys::call(SYS_wait4, -1, &status, WNOHANG, nullptr)) > 0)
      if (w == pid) sys::exit_now(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace
namespace child {

void exec_command(const ChildPlan& plan, int sync_fd) {
  SyncMessage execing{SyncKind::kExecing, Step::kExec, 0, 0};
  (void)sys::call(SYS_sendto, sync_fd, &execing, sizeof execing, MSG_NOSIGNAL, nullptr, 0);
  int err = ENOENT;
  for (const auto& path : plan.exec_candidates) {
    long rc = sys::call(SYS_execve, path.c_str(), plan.argv.data(), plan.envp.data());
    // execvp(3)'s rule: keep looking after ENOENT/ENOTDIR, remember EACCES.
    if (rc == -EACCES) err = EACCES;
    else if (rc != -ENOENT && rc != -ENOTDIR) { err = static_cast<int>(-rc); break; }
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
    if (end <= next) return;
    if (long rc = sys::call(SYS_close_range, next, end - 1, 0u); rc < 0) {
      wait_for_go(sync_fd);
      die(sync_fd, Step::kCloseFds, static_cast<int>(-rc));
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
  // Per memory map: with CLONE_VM the launcher's too, which clone_vm.cpp made so anyway.
  (void)sys::call(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
  child::reset_signals();
  (void)sys::call(SYS_umask, 0);
  // "0": the writer itself (Spec::cgroup_join). Joined before go, so that any wait of the
  // move runs while the parent still sets up the network; a failure is told after go (the
  // parent reads the sync socket only then).
  for (size_t i = 0; i < plan.cgroup_join.size(); ++i)
    if (long n = sys::call(SYS_write, plan.cgroup_join[i], "0", 1); n != 1) {
      wait_for_go(sync_fd);
      die(sync_fd, Step::kJoinCgroup, n < 0 ? static_cast<int>(-n) : EIO, static_cast<uint32_t>(i));
    }
  if (!plan.build_before_go) wait_for_go(sync_fd);
  int root = open_root(plan, sync_fd);
  if (plan.userns_root) {
    // The parent wrote the id maps. Our ids, the host's root, are unmapped here, and a
    // file made with an unmapped fsuid fails (EOVERFLOW): become the namespace's root,
    // which keeps every capability in it (capabilities(7), "Effect of user ID changes").
    check(sys::call(SYS_setresgid, 0, 0, 0), sync_fd, Step::kSetgid);
    check(sys::call(SYS_setresuid, 0, 0, 0), sync_fd, Step::kSetuid);
  }
  for (const auto& [fd, type] : plan.join_ns) check(sys::call(SYS_setns, fd, type), sync_fd, Step::kJoinNamespace);
  if (plan.unshare_cgroup) check(sys::call(SYS_unshare, CLONE_NEWCGROUP), sync_fd, Step::kCgroupNamespace);
  check(sys::call(SYS_setsid), sync_fd, Step::kSession);
  if (plan.loopback_up) loopback_up(sync_fd);
  build_rootfs(plan, root, sync_fd);
  if (plan.set_hostname)
    check(sys::call(SYS_sethostname, plan.hostname.data(), plan.hostname.size()), sync_fd, Step::kHostname);
  child::set_rlimits(plan, sync_fd);
  // A failure above, before go, is told at once and the launcher reads it after its go.
  if (plan.build_before_go) wait_for_go(sync_fd);
  child::setup_stdio(plan, sync_fd, plan.terminal ? child::open_pty(plan, sync_fd) : -1);
  child::enter_workdir(plan, sync_fd);
  child::drop_privileges(plan, sync_fd);
  (void)sys::call(SYS_umask, 022);
  if (plan.init) fork_init(sync_fd);
  child::exec_command(plan, sync_fd);
}

}  // namespace stack::engine::runtime
