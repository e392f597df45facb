// Launch failures, stop, and removal: nothing of a container is left behind.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "engine/runtime/cleanup.hpp"
#include "engine/runtime/clone_vm.hpp"
#include "tests/integration/runtime/fixture.hpp"

using stack::testing::RuntimeFixture;
using namespace stack::engine::runtime;
using namespace std::chrono_literals;
using stack::UniqueFd;

namespace {
bool dir_empty_or_absent(const std::string& path) {
  auto r = stack::testing::run("ls -A " + path + " 2>/dev/null | wc -l");
  return r.out == "0\n";
}

size_t count_lines(const std::string& path) {
  std::ifstream f(path);
  return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>(), '\n'));
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("exec of a missing binary: a clear message and nothing left", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/usr/bin/nginx", "-g", "daemon off;"});
  s.image = "web:1";
  auto r = fx.run_capture(s);
  REQUIRE(!r);
  CHECK(r.error().message == "exec: no such file: /usr/bin/nginx in image web:1");
  CHECK(r.error().code == ENOENT);
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));

  auto p = fx.spec({"nosuchcmd"});
  auto rp = fx.run_capture(p);
  REQUIRE(!rp);
  CHECK(rp.error().message == "exec: no such file: nosuchcmd in image busybox:test");
}

TEST_CASE("a failing mount names the step and leaves nothing", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/true"});
  s.mounts.push_back({"/data", "nosuchfs", "x", {}});
  auto r = fx.run_capture(s);
  REQUIRE(!r);
  CHECK(r.error().message == "mounting nosuchfs on /data in container: No such device");
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("the working directory cannot lead out of the rootfs (CVE-2024-21626)", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/pwd"});
  s.process.cwd = "/proc/self/fd/3";
  auto r = fx.run_capture(s);
  REQUIRE(!r);
  CHECK(r.error().message.find("working directory /proc/self/fd/3 leads outside the container's root") == 0);
  CHECK(fx.leftover_mounts().empty());

  // A symlink in the image that points "up" stays inside the rootfs.
  REQUIRE(::symlink("../../../../../..", (fx.layer + "/escape").c_str()) == 0);
  s.process.cwd = "/escape/tmp";
  auto ok = fx.run_capture(s);
  REQUIRE(ok);
  CHECK(ok->out == "/tmp\n");

  s.process.cwd = "/made/by/docker";  // a missing WORKDIR is made, as Docker does
  auto made = fx.run_capture(s);
  REQUIRE(made);
  CHECK(made->out == "/made/by/docker\n");
}

TEST_CASE("stop: stop_signal, SIGKILL after the grace period; init forwards signals", "[runtime]") {
  RuntimeFixture fx;
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  // PID 1 without a handler ignores SIGTERM (pid_namespaces(7)): the grace period ends in SIGKILL.
  auto s = fx.spec({"/bin/sleep", "100"});
  s.stdio = {devnull.get(), devnull.get(), devnull.get()};
  auto c = Container::create(s, {fx.root, fx.next_id()});
  REQUIRE(c);
  REQUIRE(c->start());
  auto t0 = std::chrono::steady_clock::now();
  auto st = c->stop(SIGTERM, 300ms);
  REQUIRE(st);
  CHECK(st->signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
  pid_t pid = c->pid();
  REQUIRE(c->remove());
  CHECK(::kill(pid, 0) != 0);

  // With init: true our reaper is PID 1 and passes SIGTERM on to sleep.
  s.init = true;
  auto ci = Container::create(s, {fx.root, fx.next_id()});
  REQUIRE(ci);
  REQUIRE(ci->start());
  std::this_thread::sleep_for(100ms);
  auto sti = ci->stop(SIGTERM, 5000ms);
  REQUIRE(sti);
  CHECK(sti->code == 128 + SIGTERM);
  CHECK(sti->signal == 0);
  REQUIRE(ci->remove());
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("wait, stop and removal hold when the pidfd was made non-blocking by a poll elsewhere", "[runtime]") {
  // The supervisor's libuv poll of a pidfd it was sent (or dup'ed) sets O_NONBLOCK on
  // the one open file description every copy shares; waitid(2) on it then returns
  // EAGAIN for a process that has not exited, rather than waiting.
  RuntimeFixture fx;
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  auto s = fx.spec({"/bin/sh", "-c", "sleep 0.2; exit 7"});
  s.stdio = {devnull.get(), devnull.get(), devnull.get()};
  auto c = Container::create(s, {fx.root, fx.next_id()});
  REQUIRE(c);
  REQUIRE(c->start());
  REQUIRE(::fcntl(c->pidfd(), F_SETFL, ::fcntl(c->pidfd(), F_GETFL) | O_NONBLOCK) == 0);
  siginfo_t info{};
  REQUIRE(::waitid(static_cast<idtype_t>(3 /* P_PIDFD */), static_cast<id_t>(c->pidfd()), &info, WEXITED | WNOWAIT) != 0);
  CHECK(errno == EAGAIN);  // what a bare waitid would have reported as the wait's error
  auto st = c->wait();
  REQUIRE(st);
  CHECK(st->code == 7);
  REQUIRE(c->remove());

  // stop's SIGKILL is followed by a wait that must not find the process still dying.
  auto k = Container::create(fx.spec({"/bin/sleep", "100"}), {fx.root, fx.next_id()});
  REQUIRE(k);
  REQUIRE(k->start());
  REQUIRE(::fcntl(k->pidfd(), F_SETFL, ::fcntl(k->pidfd(), F_GETFL) | O_NONBLOCK) == 0);
  auto sk = k->stop(SIGKILL, 0ms);
  REQUIRE(sk);
  CHECK(sk->signal == SIGKILL);
  pid_t pid = k->pid();
  REQUIRE(k->remove());
  CHECK(::kill(pid, 0) != 0);  // reaped, not a zombie
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("init: PID 1 is our non-dumpable reaper; its exe cannot be opened from inside", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/sh", "-c", "echo ppid=$PPID; cat /proc/1/exe > /dev/null 2>&1 && echo EXE-OPEN; ls -l /proc/1/exe 2>&1 | grep -c busybox; exit 7"});
  s.init = true;
  auto r = fx.run_capture(s);
  REQUIRE(r);
  INFO(r->out);
  CHECK(r->status.code == 7);
  CHECK(r->out.find("ppid=1\n") != std::string::npos);
  CHECK(r->out.find("EXE-OPEN") == std::string::npos);
}

TEST_CASE("removal after a crash of the launcher: the journal undoes everything", "[runtime]") {
  RuntimeFixture fx;
  std::string id = fx.next_id();
  std::string dir = fx.root + "/containers/" + id;
  pid_t launcher = ::fork();
  REQUIRE(launcher >= 0);
  if (launcher == 0) {
    UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    auto s = fx.spec({"/bin/sleep", "1000"});
    s.stdio = {devnull.get(), devnull.get(), devnull.get()};
    auto c = Container::create(s, {fx.root, id});
    if (!c || !c->start()) ::_exit(1);
    ::_exit(0);  // "crash": no destructor, no cleanup
  }
  int status = 0;
  REQUIRE(::waitpid(launcher, &status, 0) == launcher);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(!fx.leftover_mounts().empty());  // the overlay is still mounted
  auto removed = remove_container_dir(dir);
  REQUIRE(removed);
  CHECK(*removed);
  CHECK(fx.leftover_mounts().empty());
  CHECK(::access(dir.c_str(), F_OK) != 0);
  CHECK(stack::testing::run("ps -eo args | grep -c '^/bin/sleep 1000$'").out == "0\n");
  auto again = remove_container_dir(dir);  // idempotent; an unknown id is a no-op
  REQUIRE(again);
  CHECK(!*again);
}

TEST_CASE("CLONE_INTO_CGROUP puts the container in the given cgroup; its mounts stay private", "[runtime]") {
  RuntimeFixture fx;
  // The cgroup2 hierarchy: /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a
  // hybrid one. Our group goes beneath the one this process is in.
  std::string mnt = stack::testing::run("findmnt -n -t cgroup2 -o TARGET | head -1").out;
  if (!mnt.empty() && mnt.back() == '\n') mnt.pop_back();
  if (mnt.empty()) {
    WARN("SKIPPED: no cgroup2 hierarchy on this host (a v1-only host): CLONE_INTO_CGROUP not tested");
    return;
  }
  std::string self = stack::testing::run("grep '^0::' /proc/self/cgroup | cut -d: -f3").out;
  if (!self.empty() && self.back() == '\n') self.pop_back();
  std::string cg = mnt + (self == "/" ? "" : self) + "/stack-rt-" + std::to_string(::getpid());
  REQUIRE(::mkdir(cg.c_str(), 0755) == 0);
  UniqueFd cgfd(::open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(cgfd);
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  auto s = fx.spec({"/bin/sleep", "100"});
  s.stdio = {devnull.get(), devnull.get(), devnull.get()};
  s.cgroup_fd = cgfd.get();
  {
    auto c = Container::create(s, {fx.root, fx.next_id()});
    REQUIRE(c);
    REQUIRE(c->start());
    std::ifstream procs(cg + "/cgroup.procs");
    int member = 0;
    procs >> member;
    CHECK(member == c->pid());
    // The host sees the overlay it mounted, none of the container's own mounts.
    std::string mounts = fx.leftover_mounts();
    CHECK(mounts.find(c->paths().rootfs + " ") != std::string::npos);
    CHECK(mounts.find(c->paths().rootfs + "/proc") == std::string::npos);
    CHECK(mounts.find(c->paths().rootfs + "/dev") == std::string::npos);
    auto st = c->stop(SIGKILL, 1000ms);
    REQUIRE(st);
    CHECK(st->signal == SIGKILL);
    REQUIRE(c->remove());
  }
  {
    // Inside, the cgroup namespace is rooted at the container's group.
    auto in = fx.spec({"/bin/sh", "-c", "grep '^0::' /proc/self/cgroup"});
    in.cgroup_fd = cgfd.get();
    auto r = fx.run_capture(in);
    REQUIRE(r);
    CHECK(r->out == "0::/\n");
  }
  CHECK(::rmdir(cg.c_str()) == 0);
  CHECK(fx.leftover_mounts().empty());
}

TEST_CASE("init reaps orphaned zombies", "[runtime]") {
  RuntimeFixture fx;
  // The subshell exits at once; its sleep is re-parented to PID 1 (our reaper, not sh)
  // and exits 0.1 s later: unless PID 1 reaps it, it stays a zombie.
  auto s = fx.spec({"/bin/sh", "-c",
                    "(sleep 0.1 &); sleep 0.6; grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l; true"});
  s.init = true;
  auto with_init = fx.run_capture(s);
  REQUIRE(with_init);
  CHECK(with_init->out == "0\n");
}

TEST_CASE("what the runtime cannot do is refused, not dropped: unmapped user namespaces, bad ids", "[runtime]") {
  RuntimeFixture fx;
  auto s = fx.spec({"/bin/true"});
  s.namespaces.push_back({NamespaceType::kUser, ""});
  auto userns = fx.run_capture(s);
  REQUIRE(!userns);
  CHECK(userns.error().message == "a user namespace needs a uid mapping");
  auto bad_id = Container::create(fx.spec({"/bin/true"}), {fx.root, "../escape"});
  REQUIRE(!bad_id);
  CHECK(bad_id.error().message == "invalid container id '../escape'");
  auto dup = Container::create(fx.spec({"/bin/true"}), {fx.root, "dup" + std::to_string(::getpid())});
  REQUIRE(dup);
  auto again = Container::create(fx.spec({"/bin/true"}), {fx.root, "dup" + std::to_string(::getpid())});
  REQUIRE(!again);
  CHECK(again.error().message.find("already exists") != std::string::npos);
  REQUIRE(dup->remove());
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

// A launcher with threads (the supervisor makes containers on its pool) may clone while
// another thread holds fds of its own: the sync socket and log pipes of another
// container. A child waiting for go must not keep them open, or that container's EOFs
// never come (the deadlock of making containers in parallel).
TEST_CASE("a child waiting for go holds no fd of its launcher but those its plan names", "[runtime]") {
  RuntimeFixture fx;
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  UniqueFd r(p[0]), w(p[1]);
  auto c = Container::create(fx.spec({"/bin/true"}), {fx.root, fx.next_id()});
  REQUIRE(c);
  w.reset();
  pollfd pf{r.get(), POLLIN, 0};
  // Without the close it stays open until go and execve. CHECK, not REQUIRE: the
  // container is removed below also when this fails.
  bool eof = ::poll(&pf, 1, 5000) == 1;
  CHECK(eof);
  char byte;
  if (eof) CHECK(::read(r.get(), &byte, 1) == 0);
  // Left: stdio and the sync socket (the spec joins no namespace, no cgroup, no mount source).
  std::string fds;
  for (int i = 0; i < 50; ++i) {
    fds = stack::testing::run("ls /proc/" + std::to_string(c->pid()) + "/fd | sort -n | tr '\\n' ' '").out;
    if (fds.size() <= 8) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(fds.rfind("0 1 2 ", 0) == 0);
  CHECK(std::count(fds.begin(), fds.end(), ' ') == 4);
  REQUIRE(c->remove());
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("containers launched at once from several threads: each child's setup is its own", "[runtime]") {
  // On x86_64 a container's first process runs in its launcher's memory until execve
  // (clone_vm.hpp), so its system calls must not use errno, which is the cloning thread's
  // and every other child's of that thread: with libc's wrappers, one child's mkdirat
  // EEXIST (the image has /proc, /dev, ...) was now and then read as another's errno and
  // failed its launch (2 of 100 services in an `up -d`). A stress test: it may pass by
  // luck with such a bug, it must never fail without one.
  RuntimeFixture fx;
  constexpr int kThreads = 4, kEach = 8;
  std::vector<std::string> ids, outs, errors(kThreads * kEach);
  std::vector<int> codes(kThreads * kEach, -1);
  for (int i = 0; i < kThreads * kEach; ++i) {
    ids.push_back(fx.next_id());
    outs.push_back(fx.tmp.path() + "/status-" + std::to_string(i));
  }
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < kEach; ++k) {
        int i = t * kEach + k;
        UniqueFd out(::open(outs[i].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        auto s = fx.spec({"/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"});
        s.stdio = {devnull.get(), out.get(), out.get()};
        auto st = run_to_exit(std::move(s), {fx.root, ids[i]});
        if (st) codes[i] = st->code;
        else errors[i] = st.error().message;
      }
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < kThreads * kEach; ++i) {
    INFO("container " << i << ": " << errors[i]);
    CHECK(errors[i].empty());
    CHECK(codes[i] == 0);
    // The launcher blocked every signal around the clone; the child set each to SIG_DFL
    // and unblocked them: the command starts with none blocked or ignored.
    std::string status = slurp(outs[i]);
    CHECK(status == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  }
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
  // Sharing our memory with a child that takes a container user's ids makes the memory
  // map not dumpable, so that such a user cannot ptrace its way into it.
  if (can_clone_vm()) CHECK(::prctl(PR_GET_DUMPABLE) == 0);
}

TEST_CASE("a launched container's stack and plan are given back once it runs", "[runtime]") {
  RuntimeFixture fx;
  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  std::vector<Container> running;
  auto launch = [&] {
    auto s = fx.spec({"/bin/sleep", "100"});
    s.stdio = {devnull.get(), devnull.get(), devnull.get()};
    auto c = Container::create(std::move(s), {fx.root, fx.next_id()});
    REQUIRE(c);
    REQUIRE(c->start());
    running.push_back(std::move(*c));
  };
  launch();  // the first launch maps what every later one reuses (the seccomp cache, ...)
  size_t before = count_lines("/proc/self/maps");
  for (int i = 0; i < 10; ++i) launch();
  // A stack kept while its container runs would add two mappings (guard page, stack).
  CHECK(count_lines("/proc/self/maps") < before + 4);
  for (auto& c : running) {
    auto st = c.stop(SIGKILL, 0ms);
    CHECK(st);
    CHECK(c.remove());
  }
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}
