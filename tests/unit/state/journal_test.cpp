#include <catch2/catch.hpp>
#include <fstream>

#include "engine/base/file.hpp"
#include "engine/state/journal.hpp"
#include "tests/support/testing.hpp"

using stack::Result;
using stack::state::Journal;
using stack::state::Record;

TEST_CASE("journal replays pending records newest first and forgets undone ones") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/s/journal";
  auto j = Journal::open(path);
  REQUIRE(j);
  auto a = j->add("dir", {{"path", "/a"}});
  auto b = j->add("mount", {{"target", "/a/m"}});
  auto c = j->add("dir", {{"path", "/b"}});
  REQUIRE((a && b && c));
  REQUIRE(j->done(*c));

  std::vector<std::string> undone;
  auto record = [&](const Record& r) -> Result<void> {
    undone.push_back(r.kind + ":" + r.data.begin().value().get<std::string>());
    return {};
  };
  REQUIRE(stack::state::replay(*j, {{"dir", record}, {"mount", record}}));
  CHECK(undone == std::vector<std::string>{"mount:/a/m", "dir:/a"});
  CHECK(j->pending()->empty());

  // Reopening continues the ids and sees nothing pending.
  auto j2 = Journal::open(path);
  REQUIRE(j2);
  CHECK(j2->pending()->empty());
  CHECK(*j2->add("dir", {{"path", "/c"}}) == 4);
}

TEST_CASE("a failed undo keeps its record and replay reports it") {
  stack::testing::TempDir dir;
  auto j = Journal::open(dir.path() + "/journal");
  REQUIRE(j);
  REQUIRE(j->add("link", {{"name", "x"}}));
  REQUIRE(j->add("dir", {{"path", "/d"}}));
  auto failing = [](const Record&) -> Result<void> { return stack::fail_errno(EBUSY, "failed to delete link 'x'"); };
  auto ok = [](const Record&) -> Result<void> { return {}; };
  auto r = stack::state::replay(*j, {{"link", failing}, {"dir", ok}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == EBUSY);
  CHECK(r.error().message == "undoing link #1: failed to delete link 'x': Device or resource busy");
  auto left = j->pending();
  REQUIRE(left->size() == 1);
  CHECK(left->front().kind == "link");
  // A kind without a handler is an error, not silently skipped.
  CHECK_FALSE(stack::state::replay(*j, {}));
}

TEST_CASE("a torn last line is ignored; a corrupt middle line is reported") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/journal";
  {
    auto j = Journal::open(path);
    REQUIRE(j->add("dir", {{"path", "/a"}}));
  }
  { std::ofstream(path, std::ios::app) << "{\"op\":\"add\",\"id\":2,\"ki"; }
  auto j = Journal::open(path);
  REQUIRE(j);
  CHECK(j->pending()->size() == 1);
  // The next record after a torn one is readable.
  REQUIRE(j->add("dir", {{"path", "/b"}}));
  CHECK(Journal::open(path)->pending()->size() == 2);

  REQUIRE(stack::write_file_atomic(path, "garbage\n{\"op\":\"add\",\"id\":1,\"kind\":\"dir\",\"data\":{}}\n"));
  auto bad = Journal::open(path);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == path + ":1: corrupt journal record");
}
