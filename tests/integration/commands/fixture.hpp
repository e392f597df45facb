#pragma once
// A temporary stack for the lifecycle command tests (start/stop/kill/pause/wait/events/
// ls): tests/support/stack_fixture.hpp with the services given and image busybox:cm.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/stack_fixture.hpp"

namespace cmdtest {

using stack::testing::alive;
using stack::testing::lines;
using stack::testing::run;

struct StackFixture : stack::testing::StackFixture {
  // services: the YAML under `services:`, indented by two spaces.
  explicit StackFixture(const std::string& services) : stack::testing::StackFixture("cm") { write(services); }
};

}  // namespace cmdtest
