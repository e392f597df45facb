#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "engine/supervisor/heap_trim.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

TEST_CASE("the heap is trimmed after busy iterations, at most once an interval, and the end of a spell too") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto t = HeapTrimmer::create(&loop, 30);
  REQUIRE(t);
  (*t)->busy();  // the first busy iteration trims at once
  CHECK((*t)->trims() == 1);
  (*t)->busy();  // within the interval: deferred to a timer, not done now
  (*t)->busy();
  CHECK((*t)->trims() == 1);
  // The unref'd timer does not keep the loop alive; a ref'd one stands for other work.
  CHECK(uv_run(&loop, UV_RUN_NOWAIT) == 0);
  uv_timer_t work;
  REQUIRE(uv_timer_init(&loop, &work) == 0);
  REQUIRE(uv_timer_start(&work, [](uv_timer_t*) {}, 200, 0) == 0);
  uv_run(&loop, UV_RUN_ONCE);  // the trim timer fires (30 ms) before the work (200 ms)
  CHECK((*t)->trims() == 2);
  (*t)->busy();  // the iteration that ran the timer: no new timer for it
  uv_update_time(&loop);
  CHECK(uv_loop_alive(&loop) != 0);
  uv_run(&loop, UV_RUN_ONCE);  // only the work timer remains
  CHECK((*t)->trims() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  uv_update_time(&loop);
  (*t)->busy();  // the interval has passed: at once
  CHECK((*t)->trims() == 3);
  uv_close(reinterpret_cast<uv_handle_t*>(&work), nullptr);
  t->reset();
  REQUIRE(stack::uv_close_loop(&loop));
}
