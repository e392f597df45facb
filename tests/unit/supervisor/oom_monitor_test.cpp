// The OOM monitor on a loop without a cgroup: an eventfd stands in for the group's
// watch (the v1 kind) and a counter for its OOM kill count.
#include <sys/eventfd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "engine/supervisor/oom_monitor.hpp"

using namespace stack;
using namespace stack::supervisor;

namespace {

void notify(int efd) {
  uint64_t one = 1;
  REQUIRE(::write(efd, &one, sizeof one) == sizeof one);
}

// Runs the loop until pred holds or ~2 s passed.
template <typename P>
void run_until(uv_loop_t* loop, P pred) {
  for (int i = 0; i < 2000 && !pred(); ++i) {
    uv_run(loop, UV_RUN_NOWAIT);
    ::usleep(1000);
  }
}

}  // namespace

TEST_CASE("the OOM monitor reports each new kill once, also one counted after the wake") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  int efd = -1;
  uint64_t count = 0;
  int reads = 0;
  OomSource src{[&]() -> Result<cgroup::OomWatch> {
                  UniqueFd fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
                  if (!fd) return fail_errno("eventfd");
                  efd = fd.get();
                  return cgroup::OomWatch(cgroup::OomWatch::Kind::kEventfd, std::move(fd));
                },
                [&]() -> Result<uint64_t> {
                  ++reads;
                  return count;
                }};
  std::vector<uint64_t> reports;
  auto m = OomMonitor::create(&loop, src, [&](uint64_t n) { reports.push_back(n); });
  REQUIRE(m);
  REQUIRE(efd >= 0);

  // A wake without a kill (v2: a memory.max event) reports nothing.
  notify(efd);
  run_until(&loop, [&] { return reads > 0; });
  CHECK(reads > 0);
  CHECK(reports.empty());

  // A kill counted with its wake.
  count = 1;
  notify(efd);
  run_until(&loop, [&] { return !reports.empty(); });
  CHECK(reports == std::vector<uint64_t>{1});

  // The wake first, the count moving only later (v1): the timer's re-read sees it.
  int before = reads;
  notify(efd);
  run_until(&loop, [&] { return reads > before; });
  REQUIRE(reports.size() == 1);
  count = 3;
  run_until(&loop, [&] { return reports.size() == 2; });
  CHECK(reports == std::vector<uint64_t>{1, 2});

  // check() at the end of a run: nothing new, then a kill that never woke us.
  CHECK_FALSE((*m)->check());
  count = 4;
  CHECK((*m)->check());
  CHECK(reports == std::vector<uint64_t>{1, 2, 1});
  CHECK((*m)->reported() == 4);

  m->reset();
  REQUIRE(uv_close_loop(&loop));
}
