// `stack run` on a terminal: a pty from the container's own devpts when stdin is a
// terminal (the test's own pty, made here as script(1) would), its size the caller's,
// the exit code back; -T gives none, -t one without a terminal.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "tests/integration/runtime/cli_fixture.hpp"

using stack::testing::CliFixture;
using stack::testing::run;

namespace {

struct PtyResult {
  int status = -1;
  std::string out;
};

// A new window size for the terminal once `after` was printed (as a user resizing it).
struct Resize {
  std::string after;
  unsigned short rows = 0, cols = 0;
};

// Runs `cmd` (sh -c) with a new pty of ours as its stdin, stdout, stderr and controlling
// terminal, rows x cols, `input` typed on it; collects what it writes until every holder
// of the slave is gone.
PtyResult run_on_pty(const std::string& cmd, unsigned short rows, unsigned short cols, const std::string& input = "",
                     std::optional<Resize> resize = std::nullopt) {
  PtyResult r;
  stack::UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  REQUIRE(master);
  REQUIRE(::grantpt(master.get()) == 0);
  REQUIRE(::unlockpt(master.get()) == 0);
  std::string slave = ::ptsname(master.get());
  winsize ws{rows, cols, 0, 0};
  REQUIRE(::ioctl(master.get(), TIOCSWINSZ, &ws) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    int s = ::open(slave.c_str(), O_RDWR);
    if (s < 0 || ::ioctl(s, TIOCSCTTY, 0) != 0) ::_exit(120);
    for (int fd = 0; fd < 3; ++fd) ::dup2(s, fd);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (!input.empty()) REQUIRE(::write(master.get(), input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (;;) {
    pollfd p{master.get(), POLLIN, 0};
    if (::poll(&p, 1, 500) < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (!(p.revents & (POLLIN | POLLHUP))) continue;
    char buf[4096];
    ssize_t n = ::read(master.get(), buf, sizeof buf);
    if (n <= 0) break;  // EIO: the last holder of the slave closed it
    r.out.append(buf, static_cast<size_t>(n));
    if (resize && r.out.find(resize->after) != std::string::npos) {
      winsize later{resize->rows, resize->cols, 0, 0};
      ::ioctl(master.get(), TIOCSWINSZ, &later);  // the kernel sends SIGWINCH to the foreground group
      resize.reset();
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("stack run: a pty from the container's devpts on a terminal, its size, the exit code", "[runtime][cli][tty]") {
  CliFixture fx("  ns:\n    image: busybox:rt\n    userns_mode: auto\n");
  auto r = run_on_pty(fx.stack_cmd + " run --rm app sh -c 'tty; stty size; echo TERM=$TERM; "
                                     "ls -l /proc/self/fd/0; exit 3'", 37, 113);
  INFO(r.out);
  CHECK(r.status == 3);
  CHECK(has(r.out, "/dev/pts/0\r\n"));  // the container's devpts: its first pty
  CHECK(has(r.out, "37 113\r\n"));
  CHECK(has(r.out, "TERM=xterm\r\n"));

  // Input typed on the terminal reaches the container (and the line discipline echoes it).
  auto in = run_on_pty(fx.stack_cmd + " run --rm app sh -c 'read x; echo got:$x'", 24, 80, "typed\n");
  INFO(in.out);
  CHECK(in.status == 0);
  CHECK(has(in.out, "got:typed"));

  // The window size follows the terminal's (SIGWINCH, copied onto the container's pty).
  auto resized = run_on_pty(fx.stack_cmd + " run --rm app sh -c 'echo ready; sleep 1; stty size'", 24, 80, "",
                            Resize{"ready", 50, 160});
  INFO(resized.out);
  CHECK(resized.status == 0);
  CHECK(has(resized.out, "50 160\r\n"));

  // -T: no pty even on a terminal; -t: one without a terminal.
  auto no_tty = run_on_pty(fx.stack_cmd + " run --rm -T app sh -c 'tty; exit 4'", 24, 80);
  INFO(no_tty.out);
  CHECK(no_tty.status == 4);
  CHECK(has(no_tty.out, "not a tty"));
  auto forced = run(fx.stack_cmd + " run --rm -t app tty </dev/null");
  INFO(forced.out);
  CHECK(forced.status == 0);
  CHECK(has(forced.out, "/dev/pts/0"));
  CHECK(run(fx.stack_cmd + " run --rm -t -T app true </dev/null").status != 0);

  // In a container with its own user namespace too: the pty is its root's.
  auto ns = run_on_pty(fx.stack_cmd + " run --rm ns sh -c 'tty; stat -c %u $(tty)'", 24, 80);
  INFO(ns.out);
  CHECK(ns.status == 0);
  CHECK(has(ns.out, "/dev/pts/0\r\n0\r\n"));
  CHECK(fx.leftover_mounts().empty());
  CHECK(run("ls -A " + fx.root + "/containers | wc -l").out == "0\n");
}
