#include <catch2/catch.hpp>

#include "engine/base/file.hpp"
#include "engine/base/result.hpp"
#include "tests/support/testing.hpp"

using stack::Result;

namespace {
Result<int> half(int x) {
  if (x % 2) return stack::fail("odd: " + std::to_string(x));
  return x / 2;
}
Result<int> quarter(int x) {
  auto h = half(x);
  STACK_TRY_CTX(h, "quartering");
  return half(*h);
}
}  // namespace

TEST_CASE("Result carries a value or an error with context") {
  REQUIRE(quarter(8).value() == 2);
  auto r = quarter(6);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "odd: 3");
  auto r2 = quarter(5);
  CHECK(r2.error().message == "quartering: odd: 5");
}

TEST_CASE("fail_errno keeps the errno and its text") {
  Result<void> r = stack::fail_errno(ENOENT, "failed to open 'x'");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ENOENT);
  CHECK(r.error().message == "failed to open 'x': No such file or directory");
}

TEST_CASE("write_file_atomic replaces a file whole and leaves no temp file") {
  stack::testing::TempDir dir;
  std::string p = dir.path() + "/a/b/state.json";
  REQUIRE(stack::make_dirs(dir.path() + "/a/b").value());
  REQUIRE(stack::write_file_atomic(p, "one"));
  REQUIRE(stack::write_file_atomic(p, "two"));
  CHECK(stack::read_file(p).value() == "two");
  auto missing = stack::read_file(dir.path() + "/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ENOENT);
}
