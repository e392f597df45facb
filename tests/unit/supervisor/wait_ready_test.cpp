#include <catch2/catch.hpp>

#include "engine/supervisor/wait_ready.hpp"

using namespace stack::supervisor;

namespace {
Readiness of(const std::string& state, const std::string& health, int code = 0) {
  return ready_verdict({{"Name", "p-db-1"}, {"State", state}, {"Health", health}, {"ExitCode", code}}).readiness;
}
}  // namespace

TEST_CASE("up --wait: healthy, running without a check, or exited 0 is ready") {
  CHECK(of("running", "healthy") == Readiness::kHealthy);
  CHECK(of("running", "") == Readiness::kRunning);
  CHECK(of("exited", "", 0) == Readiness::kCompleted);
  CHECK(of("running", "starting") == Readiness::kPending);
  CHECK(of("restarting", "", 1) == Readiness::kPending);
  CHECK(of("created", "") == Readiness::kPending);
}

TEST_CASE("up --wait: unhealthy, a non-zero exit or a dead container fails, named") {
  auto v = ready_verdict({{"Name", "p-db-1"}, {"State", "running"}, {"Health", "unhealthy"}});
  CHECK(v.readiness == Readiness::kFailed);
  CHECK(v.why == "container p-db-1 is unhealthy");
  v = ready_verdict({{"Name", "p-job-1"}, {"State", "exited"}, {"Health", ""}, {"ExitCode", 2}});
  CHECK(v.readiness == Readiness::kFailed);
  CHECK(v.why == "container p-job-1 exited (2)");
  v = ready_verdict({{"Name", "p-x-1"}, {"State", "dead"}, {"Error", "no such image"}});
  CHECK(v.why == "container p-x-1 is dead: no such image");
}
