// The uv handle base (engine/base/uv_handle.hpp): close is idempotent, memory goes in
// the close callback, and a loop with a forgotten handle does not close cleanly.
#include <catch2/catch.hpp>

#include "network/uv_timer.hpp"
#include "network/uv_udp.hpp"
#include "tests/integration/dns/uv_test_loop.hpp"

using namespace stack;
using namespace stack::net;

TEST_CASE("close is idempotent and the loop drains to zero handles", "[uv]") {
  stack::testing::TestLoop loop;
  auto t = UvTimer::create(loop.get());
  REQUIRE(t);
  int fired = 0;
  REQUIRE((*t)->start(1, 1, [&] { ++fired; }));
  UvTimer* raw = t->get();
  raw->close();
  raw->close();  // still alive until the close callback: a second close is a no-op
  CHECK(raw->closing());
  CHECK(uv_pending_closes(loop.get()) == 1);
  t->release();  // already closed; the close callback frees it
  uv_drain_closes(loop.get());
  CHECK(uv_pending_closes(loop.get()) == 0);
  CHECK(fired == 0);  // no callback after close()
}

TEST_CASE("a callback may close its own handle", "[uv]") {
  stack::testing::TestLoop loop;
  auto t = std::move(*UvTimer::create(loop.get()));
  int fired = 0;
  REQUIRE(t->start(1, 1, [&] {
    ++fired;
    t.reset();
  }));
  CHECK(loop.run_until([&] { return t == nullptr; }));
  CHECK(fired == 1);
}

TEST_CASE("uv_close_loop names a handle that was never closed", "[uv]") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto u = std::move(*UvUdp::create(&loop));
  auto r = uv_close_loop(&loop);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("udp") != std::string::npos);
  u.reset();
  CHECK(uv_close_loop(&loop));
}
