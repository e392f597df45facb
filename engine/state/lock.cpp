#include "engine/state/lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <thread>

namespace stack::state {
namespace {

constexpr auto kRetryStep = std::chrono::milliseconds(20);

pid_t read_pid(int fd) {
  char buf[32];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc() || pid <= 0) return 0;
  return pid;
}

bool pid_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

Result<void> write_pid(int fd, const std::string& path) {
  std::string s = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return fail_errno("failed to truncate lock file '" + path + "'");
  if (::pwrite(fd, s.data(), s.size(), 0) != static_cast<ssize_t>(s.size()))
    return fail_errno("failed to write pid to lock file '" + path + "'");
  return {};
}

// After flock succeeds the path may name another inode: a `down` removed the stack
// directory (and the lock file) while we waited. Holding a lock on an unlinked file
// excludes nobody, so the caller opens the path again.
bool still_linked(int fd, const std::string& path) {
  struct stat a {}, b {};
  if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Error held_error(int fd, const std::string& path) {
  pid_t pid = read_pid(fd);
  std::string who = pid ? "process " + std::to_string(pid) : "another process";
  if (pid && !pid_alive(pid)) who += " (dead: the lock was inherited by one of its children)";
  return Error{EWOULDBLOCK, "lock file '" + path + "' is held by " + who};
}

}  // namespace

Result<LockFile> LockFile::acquire(const std::string& path, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return fail_errno("failed to open lock file '" + path + "'");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0) {
      if (!still_linked(fd.get(), path)) continue;
      pid_t previous = read_pid(fd.get());
      STACK_TRY(write_pid(fd.get(), path));
      return LockFile(path, std::move(fd), previous == ::getpid() ? 0 : previous);
    }
    if (errno != EWOULDBLOCK && errno != EINTR) return fail_errno("failed to lock '" + path + "'");
    if (std::chrono::steady_clock::now() >= deadline) return unexpected(held_error(fd.get(), path));
    std::this_thread::sleep_for(kRetryStep);
  }
}

Result<LockHolder> LockFile::inspect(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return LockHolder{};
    return fail_errno("failed to open lock file '" + path + "'");
  }
  LockHolder h;
  h.pid = read_pid(fd.get());
  h.alive = pid_alive(h.pid);
  // A shared lock conflicts with the holder's exclusive one; if we get it, nobody
  // holds the lock, and we drop it at once.
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd.get(), LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    h.locked = true;
  } else {
    return fail_errno("failed to test lock '" + path + "'");
  }
  return h;
}

void LockFile::release() noexcept {
  if (!fd_) return;
  if (::ftruncate(fd_.get(), 0) != 0) {
    // The next holder will see our pid as stale: harmless, it only reports it.
  }
  ::flock(fd_.get(), LOCK_UN);
  fd_.reset();
}

}  // namespace stack::state
