#pragma once
// A stack of busybox services (image busybox:st) brought up with `stack up -d`:
// tests/support/stack_fixture.hpp, with a tag per test for its project name.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/stack_fixture.hpp"

namespace stack::stats_test {

using stack::testing::run;

struct StackFixture : stack::testing::StackFixture {
  explicit StackFixture(const std::string& tag) : stack::testing::StackFixture(tag, "st") {}
  static std::vector<nlohmann::json> json_lines(const std::string& text) { return stack::testing::json_lines(text); }
  static nlohmann::json find(const std::vector<nlohmann::json>& list, const std::string& key, const std::string& value) {
    return stack::testing::find(list, key, value);
  }
};

}  // namespace stack::stats_test
