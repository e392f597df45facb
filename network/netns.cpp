#include "network/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

namespace stack::net {

Result<Netns> Netns::open_path(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("failed to open network namespace '" + path + "'");
  return Netns(std::move(fd), path);
}

Result<Netns> Netns::of_pid(pid_t pid) { return open_path("/proc/" + std::to_string(pid) + "/ns/net"); }

Result<Netns> Netns::current() { return open_path("/proc/thread-self/ns/net"); }

Result<Netns> Netns::create() {
  Result<Netns> out = fail("no network namespace was created");
  // unshare(2) changes only the calling thread's namespace; the thread exits right
  // after, and the fd keeps the new namespace alive.
  std::thread worker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      out = fail_errno("failed to create a network namespace (unshare CLONE_NEWNET)");
      return;
    }
    auto ns = open_path("/proc/thread-self/ns/net");
    if (!ns) {
      out = unexpected(std::move(ns).error());
      return;
    }
    out = Netns(UniqueFd(ns->fd_.release()), "new netns");
  });
  worker.join();
  return out;
}

std::string Netns::proc_path() const {
  return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_.get());
}

Result<void> run_in_netns(const Netns& ns, const std::function<Result<void>()>& fn) {
  Result<void> out;
  std::thread worker([&] {
    if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
      out = fail_errno("failed to enter network namespace '" + ns.label() + "' (setns)");
      return;
    }
    out = fn();
  });
  worker.join();
  return out;
}

}  // namespace stack::net
