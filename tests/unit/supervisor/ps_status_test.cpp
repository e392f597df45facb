#include <catch2/catch.hpp>

#include "engine/supervisor/ps_status.hpp"

using namespace stack::supervisor;

namespace {
constexpr int64_t kSec = 1'000'000'000;
}

TEST_CASE("durations read as Docker's ps writes them") {
  CHECK(human_duration(kSec / 2) == "Less than a second");
  CHECK(human_duration(kSec) == "1 second");
  CHECK(human_duration(59 * kSec) == "59 seconds");
  CHECK(human_duration(61 * kSec) == "About a minute");
  CHECK(human_duration(59 * 60 * kSec) == "59 minutes");
  CHECK(human_duration(90 * 60 * kSec) == "2 hours");  // rounded to the hour
  CHECK(human_duration(80 * 60 * kSec) == "About an hour");
  CHECK(human_duration(47 * 3600 * kSec) == "47 hours");
  CHECK(human_duration(3 * 24 * 3600 * kSec) == "3 days");
  CHECK(human_duration(20 * 24 * 3600 * kSec) == "2 weeks");
  CHECK(human_duration(90 * 24 * 3600 * kSec) == "3 months");
  CHECK(human_duration(800 * 24 * 3600 * kSec) == "2 years");
}

TEST_CASE("ps STATUS: up time with health, exit code with time since the exit") {
  StatusInput in{RunState::kRunning, std::nullopt, 0, 100 * kSec, 0, 105 * kSec};
  CHECK(status_text(in) == "Up 5 seconds");
  in.health = Health::kStarting;
  CHECK(status_text(in) == "Up 5 seconds (health: starting)");
  in.health = Health::kHealthy;
  CHECK(status_text(in) == "Up 5 seconds (healthy)");
  in.health = Health::kUnhealthy;
  CHECK(status_text(in) == "Up 5 seconds (unhealthy)");
  in = {RunState::kExited, std::nullopt, 1, 10 * kSec, 100 * kSec, 103 * kSec};
  CHECK(status_text(in) == "Exited (1) 3 seconds ago");
  in.state = RunState::kRestarting;
  CHECK(status_text(in) == "Restarting (1) 3 seconds ago");
  in.state = RunState::kDead;
  CHECK(status_text(in) == "Dead");
  in.state = RunState::kCreated;
  CHECK(status_text(in) == "Created");
}
