#include "cmd/exec_tty.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

namespace stack::cli {
namespace {

// Raw mode on the caller's terminal for the guard's lifetime (termios(3) cfmakeraw).
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// SIGWINCH as a readable fd, blocked for the guard's lifetime.
class WinchFd {
 public:
  WinchFd() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGWINCH);
    ::sigprocmask(SIG_BLOCK, &s, &old_);
    fd_.reset(::signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK));
  }
  ~WinchFd() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  int get() const { return fd_.get(); }
  void drain() const {
    signalfd_siginfo si;
    while (::read(fd_.get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
    }
  }

 private:
  UniqueFd fd_;
  sigset_t old_{};
};

void copy_winsize(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool write_all(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, static_cast<size_t>(n));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= w;
  }
  return true;
}

// One read from `from` written to `to`; false at end-of-file or error (EIO: every
// holder of the pty's slave has closed it).
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n;
  do n = ::read(from, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  return n > 0 && write_all(to, buf, n);
}

}  // namespace

Result<nlohmann::json> relay_tty(supervisor::ControlClient& c, UniqueFd master) {
  RawTerminal raw(STDIN_FILENO);
  WinchFd winch;
  copy_winsize(STDIN_FILENO, master.get());
  bool in_open = true, master_open = true;
  std::optional<nlohmann::json> reply;
  // After the reply, what the process wrote is still drained from the master (briefly:
  // a background child may hold the slave open).
  while (master_open) {
    pollfd p[4] = {{master.get(), POLLIN, 0}, {in_open ? STDIN_FILENO : -1, POLLIN, 0},
                   {reply ? -1 : c.fd(), POLLIN, 0}, {winch.get(), POLLIN, 0}};
    int rc = ::poll(p, 4, reply ? 200 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail_errno("polling the terminal");
    if (rc == 0) break;  // replied, and nothing more came from the master
    if (p[3].revents) {
      winch.drain();
      copy_winsize(STDIN_FILENO, master.get());
    }
    if (p[0].revents) master_open = pump(master.get(), STDOUT_FILENO);
    if (p[1].revents && !pump(STDIN_FILENO, master.get())) in_open = false;
    if (p[2].revents) {
      auto m = c.receive(std::chrono::milliseconds(0));
      if (!m) return unexpected(m.error());
      if (m->body.contains("result") || m->body.contains("error")) reply = m->body;
    }
  }
  if (!reply) {
    auto m = c.receive();
    if (!m) return unexpected(m.error());
    reply = m->body;
  }
  return *reply;
}

}  // namespace stack::cli
