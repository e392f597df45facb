#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "engine/state/lock.hpp"
#include "tests/support/testing.hpp"

using stack::state::LockFile;
using namespace std::chrono_literals;

namespace {

// Forks a child that takes the lock, tells the parent through a pipe, then either
// holds it for hold_ms and releases, or exits holding it (a crash: the kernel drops
// the flock, the pid stays in the file).
pid_t child_locker(const std::string& path, int hold_ms, bool crash) {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto l = LockFile::acquire(path, 0ms);
    char c = l ? 'y' : 'n';
    (void)!::write(p[1], &c, 1);
    if (!l) ::_exit(1);
    ::usleep(static_cast<useconds_t>(hold_ms) * 1000);
    if (!crash) l->release();
    ::_exit(0);
  }
  ::close(p[1]);
  char c = 0;
  REQUIRE(::read(p[0], &c, 1) == 1);
  ::close(p[0]);
  REQUIRE(c == 'y');
  return pid;
}

int reap(pid_t pid) {
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace

TEST_CASE("the lock records its holder and excludes a second holder") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/lock";
  auto a = LockFile::acquire(path, 0ms);
  REQUIRE(a);
  CHECK(a->stale_pid() == 0);
  auto h = LockFile::inspect(path);
  REQUIRE(h);
  CHECK(h->locked);
  CHECK(h->pid == ::getpid());
  CHECK(h->alive);

  // flock locks belong to open file descriptions: a second open conflicts even in
  // the same process.
  auto b = LockFile::acquire(path, 50ms);
  REQUIRE_FALSE(b);
  CHECK(b.error().code == EWOULDBLOCK);
  CHECK(b.error().message.find(std::to_string(::getpid())) != std::string::npos);

  a->release();
  h = LockFile::inspect(path);
  REQUIRE(h);
  CHECK_FALSE(h->locked);
  CHECK(h->pid == 0);
  auto c = LockFile::acquire(path, 0ms);
  REQUIRE(c);
  CHECK(c->stale_pid() == 0);
}

TEST_CASE("a second up waits for the first one's lock") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/lock";
  pid_t child = child_locker(path, 300, false);
  auto t0 = std::chrono::steady_clock::now();
  auto l = LockFile::acquire(path, 5000ms);
  auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(l);
  CHECK(waited >= 200ms);
  CHECK(l->stale_pid() == 0);  // the child released cleanly
  CHECK(reap(child) == 0);
}

TEST_CASE("a lock left by a dead holder is free and reported stale") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/lock";
  pid_t child = child_locker(path, 0, true);
  REQUIRE(reap(child) == 0);
  auto h = LockFile::inspect(path);
  REQUIRE(h);
  CHECK_FALSE(h->locked);
  CHECK(h->pid == child);
  CHECK_FALSE(h->alive);
  auto l = LockFile::acquire(path, 0ms);
  REQUIRE(l);
  CHECK(l->stale_pid() == child);
  CHECK(LockFile::inspect(path)->pid == ::getpid());
}

TEST_CASE("inspecting a missing lock file says nobody holds it") {
  stack::testing::TempDir dir;
  auto h = LockFile::inspect(dir.path() + "/none");
  REQUIRE(h);
  CHECK_FALSE(h->locked);
  CHECK(h->pid == 0);
}
