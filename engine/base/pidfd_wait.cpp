#include "engine/base/pidfd_wait.hpp"

#include <poll.h>
#include <sys/wait.h>

#include <cerrno>

#ifndef P_PIDFD
#define P_PIDFD 3  // waitid(2), Linux 5.4
#endif

namespace stack {

int wait_pidfd(int pidfd, siginfo_t* info, int extra) {
  for (;;) {
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info, WEXITED | extra) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return -1;
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
  }
}

}  // namespace stack
