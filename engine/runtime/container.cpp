#include "engine/runtime/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

#include "engine/base/fd_passing.hpp"
#include "engine/base/file.hpp"
#include "engine/base/pidfd_wait.hpp"
#include "engine/runtime/child.hpp"
#include "engine/runtime/cleanup.hpp"
#include "engine/runtime/clone3.hpp"
#include "engine/runtime/clone_vm.hpp"
#include "engine/runtime/errors.hpp"
#include "engine/runtime/sync.hpp"
#include "engine/runtime/users.hpp"
#include "engine/runtime/userns.hpp"

namespace stack::engine::runtime {
namespace {

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool has_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.rfind(key + "=", 0) == 0) return true;
  return false;
}

// The image's passwd decides names and HOME (Docker sets HOME from it when unset).
Result<void> resolve_process_user(Process& p, const std::string& rootfs) {
  auto passwd = read_in_root(rootfs, "/etc/passwd");
  if (!passwd) return unexpected(passwd.error());
  auto group = read_in_root(rootfs, "/etc/group");
  if (!group) return unexpected(group.error());
  auto pw = parse_passwd(*passwd);
  std::string home = "/";
  if (!p.user_name.empty() || !p.group_add.empty()) {
    std::string who = p.user_name.empty() ? std::to_string(p.user.uid) : p.user_name;
    auto r = resolve_user(who, p.group_add, pw, parse_group(*group));
    if (!r) return unexpected(r.error().wrap("user " + who));
    p.user = r->user;
    home = r->home;
  } else {
    for (const auto& e : pw)
      if (e.uid == p.user.uid) {
        home = e.home.empty() ? "/" : e.home;
        break;
      }
  }
  if (!has_env(p.env, "HOME")) p.env.push_back("HOME=" + home);
  return {};
}

// The CLONE_VM child's first frame: the plan is on the launcher's heap (clone_vm.hpp).
void child_main(void* plan) {
  const auto* p = static_cast<const ChildPlan*>(plan);
  run_child(*p, p->sync_fd);
}

int ns_clone_flag(NamespaceType t) {
  switch (t) {
    case NamespaceType::kNet: return CLONE_NEWNET;
    case NamespaceType::kIpc: return CLONE_NEWIPC;
    case NamespaceType::kUts: return CLONE_NEWUTS;
    case NamespaceType::kCgroup: return CLONE_NEWCGROUP;
    default: return 0;
  }
}

}  // namespace

ExitStatus to_exit_status(const siginfo_t& info) {
  ExitStatus s;
  if (info.si_code == CLD_EXITED) {
    s.code = info.si_status;
  } else {
    s.signal = info.si_status;
    s.code = 128 + info.si_status;
  }
  return s;
}

std::string ExitStatus::describe() const {
  std::string s = signal ? "killed by signal " + std::to_string(signal) : "exited with code " + std::to_string(code);
  return oom ? s + " (out of memory)" : s;
}

Result<Container> Container::create(Spec spec, const LaunchOptions& options) {
  if (!valid_id(options.id)) return fail("invalid container id '" + options.id + "'");
  STACK_TRY(check_userns(spec));
  ContainerPaths paths = container_paths(options.state_root, options.id);
  STACK_TRY(make_dirs(options.state_root + "/containers", 0700));
  spread_subdirs(options.state_root + "/containers");
  if (::mkdir(paths.dir.c_str(), 0700) != 0) {
    if (errno == EEXIST)
      return fail("container " + options.id + " already exists in " + options.state_root +
                  " (another stack's container of that name, or one whose stack's journal is gone: `down` of "
                  "its stack removes it)");
    return fail_errno("making " + paths.dir);
  }
  auto journal = state::Journal::open(paths.journal);
  if (!journal) {
    ::rmdir(paths.dir.c_str());
    return unexpected(journal.error());
  }
  Container c(std::move(spec), paths, std::move(*journal));
  if (auto r = c.prepare(); !r) {
    c.kill_and_reap();
    auto removed = remove_container_dir(paths.dir);
    if (!removed) return unexpected(r.error().wrap("cleanup also failed (" + removed.error().message + ")"));
    return unexpected(r.error());
  }
  return c;
}

Result<void> Container::prepare() {
  if (wants_userns(spec_)) {
    auto userns = make_userns_fd(spec_.uid_mappings, spec_.gid_mappings);
    if (!userns) return unexpected(userns.error().wrap("preparing the rootfs"));
    RootIdmap idmap{userns->get(), *host_id(spec_.uid_mappings, 0), *host_id(spec_.gid_mappings, 0)};
    STACK_TRY_CTX(make_rootfs(journal_, spec_.root, paths_, &idmap), "preparing the rootfs");
    STACK_TRY(write_etc_files(journal_, spec_, paths_));
    for (const auto* f : {&paths_.etc.hosts, &paths_.etc.hostname, &paths_.etc.resolv_conf})
      if (::chown(f->c_str(), idmap.uid, idmap.gid) != 0) return fail_errno("chown " + *f);
  } else {
    STACK_TRY_CTX(make_rootfs(journal_, spec_.root, paths_), "preparing the rootfs");
    STACK_TRY(write_etc_files(journal_, spec_, paths_));
  }
  STACK_TRY(resolve_process_user(spec_.process, paths_.rootfs));
  auto plan = build_plan(spec_, paths_.rootfs, paths_.etc);
  if (!plan) return unexpected(plan.error());
  plan_ = std::make_unique<ChildPlan>(std::move(*plan));
  if (plan_->userns_root) {
    auto fds = open_mount_sources(*plan_);
    if (!fds) return unexpected(fds.error());
    for (auto& fd : *fds) child_fds_.push_back(std::move(fd));
  }
  for (const auto& path : spec_.cgroup_join) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + path);
    plan_->cgroup_join.push_back(fd.get());
    child_fds_.push_back(std::move(fd));
  }
  for (const auto& n : spec_.namespaces) {
    if (n.path.empty()) continue;
    int flag = ns_clone_flag(n.type);
    if (!flag) return fail("joining an existing namespace is supported for net, ipc, uts and cgroup only");
    UniqueFd fd(::open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("opening namespace " + n.path);
    plan_->join_ns.emplace_back(fd.get(), flag);
    child_fds_.push_back(std::move(fd));
  }
  plan_->seal();
  return clone_child();
}

Result<void> Container::clone_child() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
  UniqueFd parent_end(sv[0]), child_end(sv[1]);
  if (child_end.get() < 3) return fail("stdio is not open: the sync socket would take fd " + std::to_string(sv[1]));
  ChildPlan& plan = *plan_;
  plan.keep_fd(sv[1]);
  plan.sync_fd = sv[1];
  int pidfd = -1;
  CloneArgs args{};
  args.flags = CLONE_PIDFD | static_cast<uint64_t>(plan.clone_flags);
  if (spec_.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(spec_.cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (can_clone_vm() && !plan.init) {
    auto stack = ChildStack::make();
    if (!stack) return unexpected(stack.error());
    stack_.emplace(std::move(*stack));
    // Already so once any CLONE_VM child ran (the flag is the memory map's): see clone_vm.hpp.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return fail_errno("making the launcher not dumpable");
    args.flags |= CLONE_VM;
    args.stack = reinterpret_cast<uint64_t>(stack_->base());
    args.stack_size = stack_->size();
  }
  // A child without CLONE_VM gets a copy of the plan as it is at its clone call below;
  // one with it reads the plan itself, which nothing changes from here on.
  auto clone = [&]() -> long {
    if (!(args.flags & CLONE_VM)) return ::syscall(SYS_clone3, &args, sizeof args);
    long r = clone3_vm(args, child_main, plan_.get());
    if (r >= 0) return r;
    errno = static_cast<int>(-r);
    return -1;
  };
  plan.build_before_go = !plan.userns_root && plan.join_ns.empty() && !plan.sysctls_need_links;
  long pid;
  int err;
  {
    // The child starts with every signal blocked (a handler of ours would run in it) and
    // unblocks them once it has set each to SIG_DFL (run_child). It never leaves this scope.
    BlockSignals blocked;
    pid = clone();
    if (pid < 0 && errno == EINVAL && (args.flags & CLONE_INTO_CGROUP)) {  // Linux < 5.7: cgroup later
      args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
      args.cgroup = 0;
      plan.build_before_go = false;  // begin_start moves it: its cgroup namespace and mounts come after
      pid = clone();
    }
    if (pid < 0 && errno == ENOSYS) {  // clone3 filtered (old container runtimes): clone, cgroup later
      used_clone3_ = false;
      args.flags = 0;
      if (spec_.cgroup_fd >= 0) plan.build_before_go = false;
      pid = ::syscall(SYS_clone, CLONE_PIDFD | plan.clone_flags | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
    }
    if (pid == 0) {  // a copy of our memory (no CLONE_VM)
      ::close(sv[0]);
      run_child(plan, sv[1]);
    }
    err = errno;
  }
  if (!(args.flags & CLONE_VM)) stack_.reset();
  if (pid < 0) return fail_errno(err, used_clone3_ ? "clone3 of the container process" : "clone of the container process");
  pid_ = static_cast<pid_t>(pid);
  pidfd_.reset(pidfd);
  in_cgroup_ = (args.flags & CLONE_INTO_CGROUP) != 0;
  sync_ = std::move(parent_end);
  // Before go the child touches nothing but its own namespaces and the container's
  // directory, which the container's removal covers.
  auto rec = journal_.add("process", {{"pid", pid_}, {"start", process_start_time(pid_)}});
  if (!rec) return unexpected(rec.error());
  process_record_ = *rec;
  if (plan.clone_flags & CLONE_NEWUSER) STACK_TRY(write_id_maps(pid_, spec_.uid_mappings, spec_.gid_mappings));
  return {};
}

Error Container::fail_start(Error e) {
  kill_and_reap();
  auto removed = remove_container_dir(paths_.dir);
  if (!removed) e = e.wrap("cleanup also failed (" + removed.error().message + ")");
  return e;
}

Result<void> Container::begin_start() {
  if (!sync_ || go_sent_) return fail("container already started");
  if (!in_cgroup_ && spec_.cgroup_fd >= 0) {
    UniqueFd procs(::openat(spec_.cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC));
    std::string pid = std::to_string(pid_);
    if (!procs || ::write(procs.get(), pid.data(), pid.size()) < 0)
      return unexpected(fail_start(fail_errno("moving the container into its cgroup").error));
  }
  SyncMessage go{SyncKind::kGo, Step::kWaitGo, 0, 0};
  // A child that failed while building its rootfs before go (ChildPlan::build_before_go)
  // has sent why and exited: continue_start reads it.
  if (::send(sync_.get(), &go, sizeof go, MSG_NOSIGNAL) != sizeof go && errno != EPIPE && errno != ECONNRESET)
    return unexpected(fail_start(fail_errno("starting the container process").error));
  go_sent_ = true;
  return {};
}

// Reads what the child sent; on a non-blocking socket (the caller's poll set it so)
// EAGAIN means "more to come".
Result<bool> Container::continue_start() {
  if (!sync_ || !go_sent_) return fail("container not starting");
  for (;;) {
    SyncMessage m{};
    ssize_t n;
    int fd = -1;
    do n = recv_with_fd(sync_.get(), &m, sizeof m, &fd);
    while (n < 0 && errno == EINTR);
    UniqueFd attached(fd);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n == 0 && execing_) break;  // execve closed the child's end: the command runs
    if (n == 0) return unexpected(fail_start(Error{0, "the container process died while setting up the container"}));
    if (n != sizeof m) return unexpected(fail_start(Error{n < 0 ? errno : 0, "unexpected reply from the container process"}));
    if (m.kind == SyncKind::kError) return unexpected(fail_start(child_error(m)));
    if (m.kind == SyncKind::kPtyMaster) pty_master_ = std::move(attached);
    execing_ = execing_ || m.kind == SyncKind::kExecing;
  }
  if (spec_.process.terminal && !pty_master_) return unexpected(fail_start(Error{0, "no pty master came back from the container"}));
  sync_.reset();
  child_fds_.clear();
  // The plan and the stack were the child's, which has exec'd (end of file on the sync
  // socket: its end closed on exec, after the kernel gave it a memory map of its own).
  // The ops and seccomp program (~36 KiB) would stay for the container's life.
  plan_.reset();
  stack_.reset();
  return true;
}

Result<void> Container::start() {
  STACK_TRY(begin_start());
  for (;;) {
    auto done = continue_start();  // blocking socket: returns once finished or failed
    if (!done) return unexpected(done.error());
    if (*done) return {};
  }
}

std::optional<Error> Container::failed_before_go() const {
  if (!sync_ || go_sent_) return std::nullopt;
  SyncMessage m{};
  ssize_t n;
  do n = ::recv(sync_.get(), &m, sizeof m, MSG_DONTWAIT | MSG_PEEK);
  while (n < 0 && errno == EINTR);
  if (n == sizeof m && m.kind == SyncKind::kError) return child_error(m);
  return std::nullopt;
}

Error Container::child_error(const SyncMessage& m) const {
  return describe_child_error(m, plan_ ? *plan_ : ChildPlan{}, spec_.image);
}

Result<ExitStatus> Container::wait() {
  if (reaped_) return fail("container already waited for");
  siginfo_t info{};
  int rc = wait_pidfd(pidfd_.get(), &info);
  if (rc < 0) return fail_errno("waiting for container process " + std::to_string(pid_));
  reaped_ = true;
  (void)journal_.done(process_record_);
  return to_exit_status(info);
}

Result<void> Container::kill(int signal) {
  if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0) != 0 && errno != ESRCH)
    return fail_errno("signalling container process " + std::to_string(pid_));
  return {};
}

Result<ExitStatus> Container::stop(int signal, std::chrono::milliseconds grace) {
  STACK_TRY(kill(signal));
  pollfd p{pidfd_.get(), POLLIN, 0};
  int rc;
  do rc = ::poll(&p, 1, static_cast<int>(grace.count()));
  while (rc < 0 && errno == EINTR);
  if (rc == 0) STACK_TRY(kill(SIGKILL));  // the grace period is over
  return wait();
}

Result<bool> Container::remove() {
  if (pidfd_ && !reaped_) kill_and_reap();
  return remove_container_dir(paths_.dir);
}

void Container::kill_and_reap() noexcept {
  if (!pidfd_ || reaped_) return;
  ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  siginfo_t info{};
  (void)wait_pidfd(pidfd_.get(), &info);
  reaped_ = true;
  (void)journal_.done(process_record_);
}

Container::~Container() { kill_and_reap(); }

Result<ExitStatus> run_to_exit(Spec spec, const LaunchOptions& options) {
  auto c = Container::create(std::move(spec), options);
  if (!c) return unexpected(c.error());
  STACK_TRY(c->start());
  auto status = c->wait();
  auto removed = c->remove();
  if (!status) return status;
  if (!removed) return unexpected(removed.error());
  return status;
}

}  // namespace stack::engine::runtime
