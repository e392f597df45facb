#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "engine/supervisor/pidfd_watch.hpp"

using namespace stack::supervisor;
using namespace std::chrono_literals;

namespace {

pid_t child(int sleep_ms, int code) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGTERM, SIG_DFL);  // not Catch's handler: die of the signal, silently
    ::usleep(static_cast<useconds_t>(sleep_ms) * 1000);
    ::_exit(code);
  }
  return pid;
}

}  // namespace

TEST_CASE("a pidfd watch reports exits on the loop; the owner reaps without blocking") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  pid_t a = child(50, 3);
  pid_t b = child(100000, 0);
  auto fa = open_pidfd(a);
  auto fb = open_pidfd(b);
  REQUIRE((fa && fb));
  auto still = reap_pidfd(fb->get());
  REQUIRE(still);
  CHECK_FALSE(still->has_value());  // b still runs

  std::vector<std::pair<pid_t, ProcessExit>> exits;
  auto reap = [&](pid_t pid, int fd) {
    auto e = reap_pidfd(fd);
    REQUIRE(e);
    REQUIRE(e->has_value());
    exits.emplace_back(pid, **e);
  };
  auto wa = PidfdWatch::create(&loop, fa->get(), [&] { reap(a, fa->get()); });
  auto wb = PidfdWatch::create(&loop, fb->get(), [&] { reap(b, fb->get()); });
  REQUIRE((wa && wb));
  auto t0 = std::chrono::steady_clock::now();
  uv_run(&loop, UV_RUN_ONCE);  // a exits first
  REQUIRE(exits.size() == 1);
  CHECK(exits[0].first == a);
  CHECK(exits[0].second.code == 3);
  CHECK(exits[0].second.signal == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK((*wa)->fired());

  REQUIRE(::kill(b, SIGTERM) == 0);
  uv_run(&loop, UV_RUN_DEFAULT);  // the fired watches poll nothing any more: the loop ends
  REQUIRE(exits.size() == 2);
  CHECK(exits[1].second.signal == SIGTERM);
  CHECK(exits[1].second.code == 128 + SIGTERM);
  CHECK(::kill(a, 0) != 0);  // both reaped: no zombies left
  CHECK(::kill(b, 0) != 0);
  wa->reset();
  wb->reset();
  REQUIRE(stack::uv_close_loop(&loop));
}

TEST_CASE("closing a watch before the exit leaves the process to its owner") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  pid_t p = child(100000, 0);
  auto fd = open_pidfd(p);
  REQUIRE(fd);
  bool fired = false;
  auto w = PidfdWatch::create(&loop, fd->get(), [&] { fired = true; });
  REQUIRE(w);
  w->reset();
  REQUIRE(stack::uv_close_loop(&loop));
  CHECK_FALSE(fired);
  REQUIRE(::kill(p, SIGKILL) == 0);
  siginfo_t info{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(p), &info, WEXITED) == 0);
  CHECK_FALSE(open_pidfd(-5));
}
