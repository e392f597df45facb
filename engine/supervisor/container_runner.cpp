#include "engine/supervisor/container_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <utility>

namespace stack::supervisor {

std::string_view to_string(RunState s) {
  switch (s) {
    case RunState::kCreated: return "created";
    case RunState::kRunning: return "running";
    case RunState::kRestarting: return "restarting";
    case RunState::kExited: return "exited";
    case RunState::kDead: return "dead";
  }
  return "unknown";
}

Result<std::unique_ptr<ContainerRunner>> ContainerRunner::create(uv_loop_t* loop, Factory make, RestartSpec policy,
                                                                 std::shared_ptr<LogFile> log, OnChange on_change) {
  std::unique_ptr<ContainerRunner> r(new ContainerRunner(loop, std::move(make), policy, std::move(log), std::move(on_change)));
  auto t1 = net::UvTimer::create(loop);
  if (!t1) return unexpected(t1.error());
  auto t2 = net::UvTimer::create(loop);
  if (!t2) return unexpected(t2.error());
  r->restart_timer_ = std::move(*t1);
  r->kill_timer_ = std::move(*t2);
  auto* self = r.get();
  auto f = LogFlusher::create(loop, [self](const Error& e) { self->info_.error = e.message; });
  if (!f) return unexpected(f.error());
  r->flusher_ = std::move(*f);
  if (r->log_) r->flusher_->watch(r->log_);
  return r;
}

// Work on the loop's pool that its runner may not outlive: the runner's destructor
// waits for it (it never needs the loop); the after-callback, on the loop, sees a null
// owner once the runner is gone.
struct PoolJob {
  uv_work_t req{};
  ContainerRunner* owner = nullptr;  // loop thread only
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  void finish() {
    std::lock_guard<std::mutex> l(m);
    done = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [this] { return done; });
  }
};

struct ContainerRunner::Removal : PoolJob {
  std::optional<engine::runtime::Container> container;
  std::string error;
  std::shared_ptr<Removal> self;  // alive until the loop saw it done
};

struct ContainerRunner::Creation : PoolJob {
  Launch launch;
  UniqueFd out_w, err_w, devnull, discard;  // the child's stdio until it is cloned
  std::optional<engine::runtime::Container> container;
  std::string error;
  std::shared_ptr<Creation> self;  // alive until the loop saw it done
  void run() {
    auto c = launch.create();
    if (c) container.emplace(std::move(*c));
    else error = c.error().message;
    // The child holds its copies of the write ends: ours must go, or EOF never comes.
    out_w.reset();
    err_w.reset();
    devnull.reset();
    discard.reset();
    finish();
  }
};

ContainerRunner::~ContainerRunner() {
  if (removal_) {
    // Its container is being removed on a pool thread: wait for that, so nothing of it
    // outlives the runner.
    removal_->owner = nullptr;
    removal_->wait();
  }
  if (creation_) {  // the same for one being made; what it made goes here
    creation_->owner = nullptr;
    creation_->wait();
    if (creation_->container) (void)creation_->container->remove();
    creation_->container.reset();
  }
  // Handles first (their callbacks point at us), then the container: a Container
  // dropped while running is killed and reaped by the runtime (style.md rule 4).
  starting_.reset();
  out_.reset();
  err_.reset();
  watch_.reset();
  oom_.reset();
  restart_timer_.reset();
  kill_timer_.reset();
  flusher_.reset();
  if (container_) (void)container_->remove();
}

void ContainerRunner::set(RunState s, std::string error) {
  info_.state = s;
  info_.error = std::move(error);
  info_.restart_count = policy_.restart_count();
  if (on_change_) on_change_(info_);
}

void ContainerRunner::start(bool wait) {
  if (removal_) {  // the last run's container is still being removed: start after that
    start_after_removal_ = wait;
    return;
  }
  if (info_.state == RunState::kRunning || info_.state == RunState::kRestarting || starting()) return;
  if (info_.state != RunState::kCreated) policy_ = RestartTracker(policy_.spec());
  stop_requested_ = false;
  pending_stop_.reset();
  launch(wait);
}

void ContainerRunner::launch(bool wait) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return set(RunState::kDead, fail_errno("failed to create a stdout pipe").error.message);
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return set(RunState::kDead, fail_errno("failed to create a stderr pipe").error.message);
  }
  auto cr = std::make_shared<Creation>();
  UniqueFd out_r(o[0]), err_r(e[0]);
  cr->out_w.reset(o[1]);
  cr->err_w.reset(e[1]);
  cr->devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!log_) cr->discard.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  engine::runtime::Stdio stdio{cr->devnull.get(), cr->out_w.get(), cr->err_w.get()};
  if (!log_) stdio = {cr->devnull.get(), cr->discard.get(), cr->discard.get()};
  auto l = make_(stdio);
  if (!l) return set(RunState::kDead, l.error().message);
  cr->launch = std::move(*l);
  out_r_ = std::move(out_r);
  err_r_ = std::move(err_r);
  cr->owner = this;
  cr->req.data = cr.get();
  auto work = [](uv_work_t* q) { static_cast<Creation*>(q->data)->run(); };
  auto after = [](uv_work_t* q, int) {
    auto keep = std::move(static_cast<Creation*>(q->data)->self);
    ContainerRunner* owner = keep->owner;
    if (!owner) return;  // the runner's destructor removed what it made
    owner->creation_.reset();
    owner->made(*keep, false);
  };
  if (wait || uv_queue_work(loop_, &cr->req, work, after) < 0) {  // here, on the loop
    cr->run();
    return made(*cr, wait);
  }
  cr->self = cr;
  creation_ = std::move(cr);
}

void ContainerRunner::made(Creation& cr, bool wait) {
  if (!cr.container) {
    out_r_.reset();
    err_r_.reset();
    return set(RunState::kDead, cr.error);
  }
  container_.emplace(std::move(*cr.container));
  cr.container.reset();
  if (cr.launch.created)
    if (auto r = cr.launch.created(*container_); !r) {
      // A child that failed early took its netns with it: its own reason is the one to tell.
      auto early = container_->failed_before_go();
      return abandon_start(early ? early->message : r.error().message);
    }
  // The loop goes on while the child sets up (mounts, cgroup, pivot_root, execve): its
  // sync socket says when the command runs, so containers started together overlap.
  auto started = container_->begin_start();
  if (started && wait) {
    auto done = container_->continue_start();  // the socket blocks: until it runs or failed
    if (!done) return abandon_start(done.error().message);
    return run_started();
  }
  if (started) started = watch_start();
  if (!started) abandon_start(started.error().message);
}

Result<void> ContainerRunner::watch_start() {
  UniqueFd fd(::fcntl(container_->sync_fd(), F_DUPFD_CLOEXEC, 3));
  if (!fd) return fail_errno("failed to duplicate the sync socket");
  // Shared by both fds: continue_start() then reads without blocking.
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) return fail_errno("failed to make the sync socket non-blocking");
  auto p = net::UvPoll::create(loop_, std::move(fd));
  if (!p) return unexpected(p.error());
  starting_ = std::move(*p);
  return starting_->watch(UV_READABLE, [this](int, int) { continue_launch(); });
}

void ContainerRunner::abandon_start(std::string error) {
  starting_.reset();
  out_r_.reset();
  err_r_.reset();
  if (container_) (void)container_->remove();  // kills and reaps
  container_.reset();
  set(RunState::kDead, std::move(error));
}

void ContainerRunner::continue_launch() {
  auto done = container_->continue_start();
  if (done && !*done) return;  // the child is still setting up
  if (!done) return abandon_start(done.error().message);
  starting_.reset();
  run_started();
}

void ContainerRunner::run_started() {
  eofs_ = log_ ? 0 : 2;  // without a log there is no pipe to drain
  status_.reset();
  Result<void> pumped = log_ ? pump(std::move(out_r_), std::move(err_r_)) : Result<void>{};
  out_r_.reset();
  err_r_.reset();
  auto w = PidfdWatch::create(loop_, container_->pidfd(), [this] { exited(); });
  if (!pumped || !w) {
    out_.reset();
    err_.reset();
    (void)container_->remove();  // kills and reaps
    container_.reset();
    return set(RunState::kDead, (!pumped ? pumped.error() : w.error()).message);
  }
  watch_ = std::move(*w);
  info_.pid = container_->pid();
  info_.started_ns = now_ns();
  info_.oom_killed = false;
  set(RunState::kRunning, watch_oom_of_run());
  if (stop_requested_ && pending_stop_) {  // a stop came while it started
    auto [signal, grace] = *pending_stop_;
    pending_stop_.reset();
    stop(signal, grace);
  }
}

// A watch that cannot be opened does not stop the run: its error is reported with the
// running state, and an OOM kill is still seen from the count when the run ends.
std::string ContainerRunner::watch_oom_of_run() {
  if (!oom_source_) return {};
  auto m = OomMonitor::create(loop_, *oom_source_, [this](uint64_t n) { oom_kills(n); });
  if (!m) return m.error().message + " (OOM kills are seen only when the container exits)";
  oom_ = std::move(*m);
  return {};
}

void ContainerRunner::oom_kills(uint64_t n) {
  info_.oom_killed = true;
  if (log_) {
    std::string what = n == 1 ? "a process was killed" : std::to_string(n) + " processes were killed";
    (void)log_->append({"stack: container OOMKilled: " + what + " (out of memory)"}, "stderr", now_ns());
    (void)log_->flush();
  }
  if (on_oom_) on_oom_();
}

Result<void> ContainerRunner::pump(UniqueFd out_r, UniqueFd err_r) {
  auto eof = [this] {
    ++eofs_;
    maybe_finish();
  };
  auto po = LogPump::create(loop_, std::move(out_r), log_, "stdout", {nullptr, eof});
  if (!po) return unexpected(po.error());
  auto pe = LogPump::create(loop_, std::move(err_r), log_, "stderr", {nullptr, eof});
  if (!pe) return unexpected(pe.error());
  out_ = std::move(*po);
  err_ = std::move(*pe);
  return {};
}

void ContainerRunner::exited() {
  auto st = container_->wait();  // the pidfd is readable: this reaps without blocking
  status_ = st ? *st : engine::runtime::ExitStatus{255, 0, false};
  kill_timer_->stop();
  maybe_finish();
}

// The run is over once PID 1 was reaped and both pipes reached EOF: in its own pid
// namespace every other process died with PID 1, so the pipes close (pid_namespaces(7)).
void ContainerRunner::maybe_finish() {
  if (!status_ || eofs_ < 2) return;
  finish_run();
}

void ContainerRunner::finish_run() {
  out_.reset();
  err_.reset();
  watch_.reset();
  // Before the cgroup's count is read for the exit and before the group may go.
  if (oom_) oom_->check();
  else if (oom_source_ && oom_source_->kills)
    if (auto n = oom_source_->kills(); n && *n > 0) oom_kills(*n);
  oom_.reset();
  if (classify_) classify_(*status_);
  info_.oom_killed = info_.oom_killed || status_->oom;
  if (status_->oom) {
    (void)log_->append({"stack: container OOMKilled: " + status_->describe() + ", exit code " +
                        std::to_string(status_->code)}, "stderr", now_ns());
    (void)log_->flush();
  }
  info_.last_exit = *status_;
  info_.pid = 0;
  info_.finished_ns = now_ns();
  int64_t ran = now_ns() - info_.started_ns;
  auto d = policy_.on_exit(status_->code, stop_requested_, ran, now_ns());
  if (!d.restart) return remove_then_exit();
  std::string cleanup;
  if (auto r = container_->remove(); !r) cleanup = r.error().message;
  container_.reset();
  set(RunState::kRestarting, cleanup);
  // Removing the container took time the loop's cached clock has not seen
  // (uv_now(3)); without this the delay would be cut short by it.
  uv_update_time(loop_);
  auto r = restart_timer_->start(static_cast<uint64_t>(d.delay_ns / 1'000'000), 0, [this] { launch(true); });
  if (!r) set(RunState::kDead, r.error().message);
}

void ContainerRunner::remove_then_exit() {
  auto r = std::make_shared<Removal>();
  r->container.emplace(std::move(*container_));
  container_.reset();
  r->owner = this;
  r->req.data = r.get();
  auto work = [](uv_work_t* q) {
    auto* rm = static_cast<Removal*>(q->data);
    if (auto x = rm->container->remove(); !x) rm->error = x.error().message;
    rm->container.reset();
    rm->finish();
  };
  auto after = [](uv_work_t* q, int) {
    auto keep = std::move(static_cast<Removal*>(q->data)->self);
    ContainerRunner* owner = keep->owner;
    if (!owner) return;
    owner->removal_.reset();
    auto start = std::exchange(owner->start_after_removal_, std::nullopt);
    // From a timer: on_change (in set) may drop the runner, which closes the timer.
    if (start) (void)owner->restart_timer_->start(0, 0, [owner, w = *start] { owner->start(w); });
    owner->set(RunState::kExited, keep->error);
  };
  if (uv_queue_work(loop_, &r->req, work, after) < 0) {  // no pool: here, as before
    work(&r->req);
    return set(RunState::kExited, r->error);
  }
  r->self = r;
  removal_ = std::move(r);
}

const engine::runtime::Container* ContainerRunner::current() const {
  return info_.state == RunState::kRunning && container_ && !status_ ? &*container_ : nullptr;
}

Result<void> ContainerRunner::kill(int signal, bool fatal) {
  if (fatal && info_.state == RunState::kRestarting) {
    stop_requested_ = true;
    restart_timer_->stop();
    set(RunState::kExited);
    return {};
  }
  if (info_.state != RunState::kRunning || !container_ || status_) return fail("container is not running");
  if (fatal) stop_requested_ = true;
  return container_->kill(signal);
}

void ContainerRunner::stop(int signal, std::chrono::milliseconds grace) {
  stop_requested_ = true;
  if (starting()) {  // stopped once it runs: its signal handlers may be set by then
    pending_stop_ = std::pair{signal, grace};
    return;
  }
  if (info_.state == RunState::kRestarting) {
    restart_timer_->stop();
    return set(RunState::kExited);
  }
  if (info_.state != RunState::kRunning || !container_ || status_) return;
  if (auto r = container_->kill(signal); !r) info_.error = r.error().message;
  uv_update_time(loop_);  // stop() may come after blocking work outside the loop
  auto r = kill_timer_->start(static_cast<uint64_t>(grace.count()), 0, [this] {
    if (container_ && !status_) (void)container_->kill(SIGKILL);
  });
  if (!r) (void)container_->kill(SIGKILL);
}

}  // namespace stack::supervisor
