#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

Result<uint64_t> OomWatch::drain() {
  if (!fd_) return fail("OOM watch is not open");
  uint64_t count = 0;
  // Both fds are O_NONBLOCK: read until EAGAIN. An eventfd read returns its 8-byte
  // counter and resets it (eventfd(2)); inotify returns whole events (inotify(7)).
  alignas(inotify_event) char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return count;
      return fail_errno("failed to read the OOM watch fd");
    }
    if (n == 0) return count;
    if (kind_ == Kind::kEventfd) {
      uint64_t v = 0;
      if (n == sizeof v) __builtin_memcpy(&v, buf, sizeof v);
      count += v;
    } else {
      for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        ++count;
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  }
}

}  // namespace stack::cgroup
