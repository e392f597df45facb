// The supervisor's pieces around real containers: output through the loop into the
// json-file log, exits seen by a pidfd watch, restarts by policy with their backoff.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/base/file.hpp"
#include "engine/runtime/container.hpp"
#include "engine/runtime/defaults.hpp"
#include "engine/supervisor/container_runner.hpp"
#include "engine/supervisor/log_pump.hpp"
#include "engine/supervisor/pidfd_watch.hpp"
#include "engine/supervisor/restart_policy.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;
using stack::UniqueFd;
using stack::engine::runtime::Container;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  stack::testing::TempDir tmp{"stack-sup-" + std::to_string(::getpid())};
  std::string layer = tmp.path() + "/layer";
  std::string root = tmp.path() + "/root";
  int counter = 0;
  uv_loop_t loop{};

  Fixture() {
    stack::testing::require_root();
    auto r = stack::testing::run(stack::testing::source_dir() + "/tests/support/mkbusybox " + layer);
    if (r.status != 0) {
      stack::testing::run("rm -rf " + tmp.path());
      stack::testing::skip("mkbusybox failed: " + r.out);
    }
    REQUIRE(uv_loop_init(&loop) == 0);
  }
  std::string next_id() { return "sup" + std::to_string(::getpid()) + "-" + std::to_string(++counter); }
  stack::engine::runtime::Spec spec(std::vector<std::string> args) const {
    auto s = stack::engine::runtime::default_spec(std::move(args), {layer}, "box");
    s.image = "busybox:test";
    return s;
  }
  std::string leftover_mounts() const {
    std::ifstream f("/proc/self/mountinfo");
    std::string line, out;
    while (std::getline(f, line))
      if (line.find(tmp.path()) != std::string::npos) out += line + "\n";
    return out;
  }
  bool containers_gone() const {
    auto r = stack::testing::run("ls -A " + root + "/containers 2>/dev/null");
    return r.out.empty();
  }
};

struct Pipe {
  UniqueFd r, w;
  Pipe() {
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    r.reset(p[0]);
    w.reset(p[1]);
  }
};

std::vector<LogRecord> records(const std::string& path) {
  std::vector<LogRecord> out;
  auto text = stack::read_file(path);
  REQUIRE(text);
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto r = parse_log_line(line);
    REQUIRE(r);
    out.push_back(std::move(*r));
  }
  return out;
}

// One run of a container with its stdout and stderr pumped into `log`; calls
// on_exit with the exit status once the process ended and both pipes are drained.
struct Run {
  std::optional<Container> container;
  stack::UvOwned<LogPump> out, err;
  stack::UvOwned<PidfdWatch> watch;
  std::optional<stack::engine::runtime::ExitStatus> status;
  int eofs = 0;
  std::chrono::steady_clock::time_point started;
  std::function<void(Run&)> on_end;

  void maybe_end() {
    if (status && eofs == 2 && on_end) on_end(*this);
  }
  void launch(Fixture& fx, stack::engine::runtime::Spec s, std::shared_ptr<LogFile> log) {
    Pipe o, e;
    UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    s.stdio = {devnull.get(), o.w.get(), e.w.get()};
    auto c = Container::create(std::move(s), {fx.root, fx.next_id()});
    REQUIRE(c);
    container.emplace(std::move(*c));
    REQUIRE(container->start());
    started = std::chrono::steady_clock::now();
    o.w.reset();  // the container holds the write ends now
    e.w.reset();
    auto po = LogPump::create(&fx.loop, std::move(o.r), log, "stdout", {nullptr, [this] { ++eofs; maybe_end(); }});
    auto pe = LogPump::create(&fx.loop, std::move(e.r), log, "stderr", {nullptr, [this] { ++eofs; maybe_end(); }});
    REQUIRE((po && pe));
    out = std::move(*po);
    err = std::move(*pe);
    auto w = PidfdWatch::create(&fx.loop, container->pidfd(), [this] {
      auto st = container->wait();  // the process has exited: this does not block
      REQUIRE(st);
      status = *st;
      maybe_end();
    });
    REQUIRE(w);
    watch = std::move(*w);
  }
  void finish() {
    out.reset();
    err.reset();
    watch.reset();
    REQUIRE(container->remove());
  }
};

// A Launch of spec whose create waits 100 ms on the pool first (the loop, or the
// runner's destructor, goes on meanwhile); made sees the container it made there.
ContainerRunner::Launch slow_launch(Fixture& fx, stack::engine::runtime::Spec spec,
                                    const stack::engine::runtime::Stdio& io,
                                    std::function<void(const Container&)> made,
                                    std::function<stack::Result<void>(Container&)> created) {
  spec.stdio = io;
  ContainerRunner::Launch l;
  l.create = [&fx, spec, made]() mutable {
    std::this_thread::sleep_for(100ms);
    auto c = Container::create(std::move(spec), {fx.root, fx.next_id()});
    if (c) made(*c);
    return c;
  };
  l.created = std::move(created);
  return l;
}

}  // namespace

TEST_CASE("a container's output reaches its log through the loop and its exit is seen by pidfd") {
  Fixture fx;
  std::string path = fx.tmp.path() + "/c-json.log";
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(path, {})));
  Run run;
  bool ended = false;
  run.on_end = [&](Run&) { ended = true; };
  run.launch(fx, fx.spec({"/bin/sh", "-c", "i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; echo oops >&2; exit 7"}), log);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  REQUIRE(ended);
  CHECK(run.status->code == 7);
  run.finish();
  REQUIRE(stack::uv_close_loop(&fx.loop));

  auto rs = records(path);
  REQUIRE(rs.size() == 5001);
  int n = 0;
  for (const auto& r : rs) {
    if (r.stream == "stderr") {
      CHECK(r.log == "oops\n");
    } else if (r.log != "line " + std::to_string(n++) + "\n") {
      FAIL("stdout record " << n - 1 << " is " << r.log);
    }
  }
  CHECK(n == 5000);
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("on-failure:3: a container that always exits 1 is restarted exactly 3 times, with backoff") {
  Fixture fx;
  std::string path = fx.tmp.path() + "/c-json.log";
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(path, {})));
  auto spec = fx.spec({"/bin/sh", "-c", "echo run; exit 1"});
  std::vector<std::string> states;
  auto t0 = std::chrono::steady_clock::now();
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        auto s = spec;
        s.stdio = io;
        return ContainerRunner::Launch{[&fx, s]() mutable { return Container::create(std::move(s), {fx.root, fx.next_id()}); }, {}};
      },
      *restart_spec("on-failure:3", std::nullopt), log,
      [&](const RunInfo& i) { states.push_back(std::string(to_string(i.state)) + ":" + std::to_string(i.restart_count)); });
  REQUIRE(runner);
  (*runner)->start();
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  const RunInfo& info = (*runner)->info();
  CHECK(info.state == RunState::kExited);
  CHECK(info.restart_count == 3);
  REQUIRE(info.last_exit);
  CHECK(info.last_exit->code == 1);
  CHECK(info.error.empty());
  CHECK(states == std::vector<std::string>{"running:0", "restarting:1", "running:1", "restarting:2", "running:2",
                                           "restarting:3", "running:3", "exited:3"});
  CHECK(elapsed >= 700ms);  // 100 + 200 + 400 ms of backoff
  WARN("4 runs in " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                    << " ms, 700 ms of them backoff: the rest is create, start, exit and remove");
  runner->reset();
  REQUIRE(stack::uv_close_loop(&fx.loop));
  CHECK(records(path).size() == 4);  // each run's output appended to the one log
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("stop does not block the loop: stop_signal, SIGKILL after the grace, no restart") {
  Fixture fx;
  std::string path = fx.tmp.path() + "/c-json.log";
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(path, {})));
  // PID 1 without a handler ignores SIGTERM (pid_namespaces(7)).
  auto spec = fx.spec({"/bin/sh", "-c", "echo early; exec sleep 100"});
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        auto s = spec;
        s.stdio = io;
        return ContainerRunner::Launch{[&fx, s]() mutable { return Container::create(std::move(s), {fx.root, fx.next_id()}); }, {}};
      },
      *restart_spec("always", std::nullopt), log, nullptr);
  REQUIRE(runner);
  (*runner)->start();
  REQUIRE((*runner)->info().state == RunState::kRunning);
  pid_t pid = (*runner)->info().pid;
  // A line is in the log while the container still runs: the flusher wrote it.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  auto on_disk = [&] { return stack::read_file(path).value_or("").find("early") != std::string::npos; };
  while (!on_disk() && std::chrono::steady_clock::now() < deadline) uv_run(&fx.loop, UV_RUN_NOWAIT);
  REQUIRE(on_disk());
  // A 50 ms ticker counts how often the loop ran during the grace period.
  int ticks = 0;
  uv_timer_t ticker;
  REQUIRE(uv_timer_init(&fx.loop, &ticker) == 0);
  ticker.data = &ticks;
  uv_timer_start(&ticker, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 50, 50);
  uv_unref(reinterpret_cast<uv_handle_t*>(&ticker));
  auto t0 = std::chrono::steady_clock::now();
  (*runner)->stop(SIGTERM, 400ms);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  uv_close(reinterpret_cast<uv_handle_t*>(&ticker), nullptr);
  const RunInfo& info = (*runner)->info();
  CHECK(info.state == RunState::kExited);
  REQUIRE(info.last_exit);
  CHECK(info.last_exit->signal == SIGKILL);
  CHECK(info.restart_count == 0);  // always, but stopped by the user
  CHECK(elapsed >= 400ms);
  CHECK(ticks >= 5);  // the loop kept running while it waited
  CHECK(::kill(pid, 0) != 0);
  runner->reset();
  REQUIRE(stack::uv_close_loop(&fx.loop));
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("a container that cannot be made is dead with the runtime's reason") {
  Fixture fx;
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(fx.tmp.path() + "/c-json.log", {})));
  auto spec = fx.spec({"/no/such/binary"});
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        auto s = spec;
        s.stdio = io;
        return ContainerRunner::Launch{[&fx, s]() mutable { return Container::create(std::move(s), {fx.root, fx.next_id()}); }, {}};
      },
      *restart_spec("always", std::nullopt), log, nullptr);
  REQUIRE(runner);
  (*runner)->start();
  CHECK((*runner)->info().state == RunState::kDead);
  CHECK((*runner)->info().error.find("/no/such/binary") != std::string::npos);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  runner->reset();
  REQUIRE(stack::uv_close_loop(&fx.loop));
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("a run that is not restarted is removed before its exit is reported; a start meanwhile runs after") {
  Fixture fx;
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(fx.tmp.path() + "/c-json.log", {})));
  auto spec = fx.spec({"/bin/sh", "-c", "echo run"});
  std::vector<std::string> states;
  std::vector<bool> gone_when_exited;
  ContainerRunner* self = nullptr;
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        auto s = spec;
        s.stdio = io;
        return ContainerRunner::Launch{[&fx, s]() mutable { return Container::create(std::move(s), {fx.root, fx.next_id()}); }, {}};
      },
      *restart_spec("no", std::nullopt), log,
      [&](const RunInfo& i) {
        states.push_back(std::string(to_string(i.state)));
        if (i.state == RunState::kExited) gone_when_exited.push_back(fx.containers_gone());
      });
  REQUIRE(runner);
  self = runner->get();
  // After the poll phase that saw the first run end (last_exit set), the loop's check
  // phase asks for a start while the container is still being removed on the pool.
  struct Asker {
    ContainerRunner* r;
    bool asked = false, in_window = false;
  } asker{self};
  uv_check_t check;
  REQUIRE(uv_check_init(&fx.loop, &check) == 0);
  check.data = &asker;
  uv_check_start(&check, [](uv_check_t* c) {
    auto* a = static_cast<Asker*>(c->data);
    if (a->asked || !a->r->info().last_exit) return;
    a->asked = true;
    a->in_window = a->r->info().state == RunState::kRunning;  // reported exited not yet
    a->r->start(false);
  });
  uv_unref(reinterpret_cast<uv_handle_t*>(&check));
  self->start();
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
  CHECK(asker.asked);
  WARN("the start came while the first container was being removed: " << (asker.in_window ? "yes" : "no"));
  CHECK(states == std::vector<std::string>{"running", "exited", "running", "exited"});
  CHECK(gone_when_exited == std::vector<bool>{true, true});
  CHECK(self->info().state == RunState::kExited);
  runner->reset();
  REQUIRE(stack::uv_close_loop(&fx.loop));
  CHECK(records(fx.tmp.path() + "/c-json.log").size() == 2);
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("start(false) makes the container on the loop's pool while the loop runs on; it runs as before") {
  Fixture fx;
  std::shared_ptr<LogFile> log(std::move(*LogFile::open(fx.tmp.path() + "/c-json.log", {})));
  auto spec = fx.spec({"/bin/sh", "-c", "echo made"});
  std::vector<std::string> states;
  std::thread::id made_on;
  int ticks_while_made = 0;  // loop iterations while the pool made it
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        return slow_launch(fx, spec, io, [&](const Container&) { made_on = std::this_thread::get_id(); },
                           [&](Container& c) -> stack::Result<void> {
                             CHECK(c.pid() > 0);
                             states.push_back("created");
                             return {};
                           });
      },
      *restart_spec("no", std::nullopt), log, [&](const RunInfo& i) { states.push_back(std::string(to_string(i.state))); });
  REQUIRE(runner);
  uv_timer_t tick;
  REQUIRE(uv_timer_init(&fx.loop, &tick) == 0);
  tick.data = &ticks_while_made;
  uv_timer_start(&tick, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 10, 10);
  uv_unref(reinterpret_cast<uv_handle_t*>(&tick));
  (*runner)->start(false);
  CHECK((*runner)->starting());
  CHECK(states.empty());  // nothing reported before the pool made it
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  CHECK(made_on != std::this_thread::get_id());
  CHECK(ticks_while_made >= 3);
  CHECK(states == std::vector<std::string>{"created", "running", "exited"});
  runner->reset();
  REQUIRE(stack::uv_close_loop(&fx.loop));
  CHECK(records(fx.tmp.path() + "/c-json.log").size() == 1);
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
}

TEST_CASE("a runner dropped while its container is being made waits for it and removes what it made") {
  Fixture fx;
  auto spec = fx.spec({"/bin/sh", "-c", "sleep 100"});
  pid_t child = 0;
  bool created_called = false;
  auto runner = ContainerRunner::create(
      &fx.loop, [&](const stack::engine::runtime::Stdio& io) {
        return slow_launch(fx, spec, io, [&](const Container& c) { child = c.pid(); },
                           [&](Container&) -> stack::Result<void> {
                             created_called = true;
                             return {};
                           });
      },
      *restart_spec("no", std::nullopt), nullptr, nullptr);
  REQUIRE(runner);
  (*runner)->start(false);
  runner->reset();  // waits for the pool, then removes the container
  CHECK(child > 0);
  CHECK(::kill(child, 0) != 0);  // reaped, not a zombie
  CHECK(fx.leftover_mounts().empty());
  CHECK(fx.containers_gone());
  uv_run(&fx.loop, UV_RUN_DEFAULT);  // the pool's after-callback, for a runner that is gone
  CHECK_FALSE(created_called);
  REQUIRE(stack::uv_close_loop(&fx.loop));
}
