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

Result<void> relay_pty(UniqueFd master, const std::vector<RelayWatch>& watches) {
  RawTerminal raw(STDIN_FILENO);
  WinchFd winch;
  copy_winsize(STDIN_FILENO, master.get());
  bool in_open = true, master_open = true, ended = false;
  std::vector<pollfd> p(3 + watches.size());
  auto check = [&](size_t i) -> Result<void> {
    auto r = watches[i].ready();
    if (!r) return unexpected(r.error());
    ended = ended || *r;
    return {};
  };
  while (master_open) {
    p[0] = {master.get(), POLLIN, 0};
    p[1] = {in_open ? STDIN_FILENO : -1, POLLIN, 0};
    p[2] = {winch.get(), POLLIN, 0};
    for (size_t i = 0; i < watches.size(); ++i) p[3 + i] = {ended ? -1 : watches[i].fd, POLLIN, 0};
    int rc = ::poll(p.data(), p.size(), ended ? 200 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail_errno("polling the terminal");
    if (rc == 0) break;  // ended, and nothing more came from the master
    if (p[2].revents) {
      winch.drain();
      copy_winsize(STDIN_FILENO, master.get());
    }
    if (p[0].revents) master_open = pump(master.get(), STDOUT_FILENO);
    if (p[1].revents && !pump(STDIN_FILENO, master.get())) in_open = false;
    for (size_t i = 0; i < watches.size(); ++i)
      if (p[3 + i].revents) STACK_TRY(check(i));
  }
  // Every holder of the slave closed it: wait for the end itself.
  while (!ended) {
    for (size_t i = 0; i < watches.size(); ++i) p[i] = {watches[i].fd, POLLIN, 0};
    int rc = ::poll(p.data(), watches.size(), -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail_errno("polling");
    for (size_t i = 0; i < watches.size(); ++i)
      if (p[i].revents) STACK_TRY(check(i));
  }
  return {};
}

Result<nlohmann::json> relay_tty(supervisor::ControlClient& c, UniqueFd master) {
  std::optional<nlohmann::json> reply;
  auto on_message = [&]() -> Result<bool> {
    auto m = c.receive(std::chrono::milliseconds(0));
    if (!m) return unexpected(m.error());
    if (m->body.contains("result") || m->body.contains("error")) reply = m->body;
    return reply.has_value();
  };
  STACK_TRY(relay_pty(std::move(master), {{c.fd(), on_message}}));
  return *reply;
}

}  // namespace stack::cli
