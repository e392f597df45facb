#pragma once
// The stack's lock file: whoever changes a stack (`up`, `down`, the supervisor while it
// runs) holds an exclusive flock(2) on <run-root>/stacks/<project>/lock, so two `up`s
// of one project are serialised. The holder writes its pid into the file.
//
// flock(2) locks belong to the open file description, so the kernel drops the lock
// when the holder dies, even by SIGKILL. A pid left in the file whose lock is free is
// therefore a *stale* record: the previous holder crashed and the caller should
// recover (adopt or clean). The lock fd is O_CLOEXEC so a container never inherits it.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::state {

// What a lock file says about its holder, read without taking the lock.
struct LockHolder {
  pid_t pid = 0;        // 0 when no pid is recorded
  bool locked = false;  // the flock is held (by some process)
  bool alive = false;   // the recorded pid exists (kill(pid, 0))
};

class LockFile {
 public:
  // Takes the lock, waiting up to `timeout` (zero: try once). Fails with EWOULDBLOCK
  // and the holder's pid when it stays held.
  static Result<LockFile> acquire(const std::string& path, std::chrono::milliseconds timeout);
  // Reads the recorded pid and tests the lock without taking it.
  static Result<LockHolder> inspect(const std::string& path);

  LockFile(LockFile&&) noexcept = default;
  LockFile& operator=(LockFile&&) noexcept = default;
  ~LockFile() { release(); }

  // The pid a previous holder left behind if it died holding the lock, else 0.
  pid_t stale_pid() const { return stale_pid_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_.get(); }
  // Clears the pid and drops the lock (closing the fd would also drop it).
  void release() noexcept;

 private:
  LockFile(std::string path, UniqueFd fd, pid_t stale) : path_(std::move(path)), fd_(std::move(fd)), stale_pid_(stale) {}
  std::string path_;
  UniqueFd fd_;
  pid_t stale_pid_ = 0;
};

}  // namespace stack::state
