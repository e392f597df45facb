#pragma once
// Network namespace handles (setns(2), namespaces(7)). A netns lives as long as a
// process, a bind mount or an open fd refers to it; a Netns is such an fd.
#include <sys/types.h>

#include <functional>
#include <string>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::net {

class Netns {
 public:
  // The netns of a process: /proc/<pid>/ns/net.
  static Result<Netns> of_pid(pid_t pid);
  // A netns file: /proc/<pid>/ns/net, a bind mount under /run/netns, ...
  static Result<Netns> open_path(const std::string& path);
  // The calling thread's own netns.
  static Result<Netns> current();
  // A new, empty netns (only a down `lo`) that no process is in and no name refers to:
  // it is destroyed, with every link inside it, when the last fd is closed. Made by a
  // short-lived thread that unshare(CLONE_NEWNET)s, so the caller stays where it is.
  static Result<Netns> create();

  explicit Netns(UniqueFd fd, std::string label) : fd_(std::move(fd)), label_(std::move(label)) {}

  int fd() const noexcept { return fd_.get(); }
  // For error messages: the path it was opened from, or "new netns".
  const std::string& label() const noexcept { return label_; }
  // A path other processes can open while this handle lives: /proc/<our pid>/fd/<fd>,
  // e.g. for `nsenter --net=PATH` in tests.
  std::string proc_path() const;

 private:
  UniqueFd fd_;
  std::string label_;
};

// Runs fn on a short-lived thread that has setns(2)'d into `ns`; returns fn's result.
// The caller's thread never changes namespace (a thread's netns is its own: setns
// with CLONE_NEWNET affects only the calling thread).
Result<void> run_in_netns(const Netns& ns, const std::function<Result<void>()>& fn);

}  // namespace stack::net
