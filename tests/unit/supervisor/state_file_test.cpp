// state.json's parser and writer, and the events' text form (no kernel).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <string>
#include <vector>

#include "engine/base/file.hpp"
#include "engine/base/uv_handle.hpp"
#include "engine/supervisor/event_bus.hpp"
#include "engine/supervisor/state_file.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

namespace {
const char* const kDoc =
    R"({"version":1,"project":"p","config_files":[],"containers":[{"Name":"p-a-1","Service":"a","State":"running","Pid":5}]})";
}

TEST_CASE("parse_state accepts a whole document and names what is wrong with others") {
  auto ok = parse_state(kDoc);
  REQUIRE(ok);
  CHECK((*ok)["containers"][0]["Pid"] == 5);
  std::string doc = kDoc;
  for (std::size_t cut : {std::size_t{1}, doc.size() / 2, doc.size() - 1}) {
    auto torn = parse_state(doc.substr(0, cut));
    REQUIRE(!torn);
    CHECK(torn.error().message.find("truncated") != std::string::npos);
  }
  CHECK(parse_state("[]").error().message == "not a JSON object");
  CHECK(parse_state(R"({"version":2,"project":"p","containers":[]})").error().message.find("version") != std::string::npos);
  CHECK(parse_state(R"({"version":1,"containers":[]})").error().message == "no project name");
  CHECK(parse_state(R"({"version":1,"project":"p","containers":[{"Name":"x"}]})").error().message ==
        "a container without Service");
}

TEST_CASE("read_state names the file") {
  stack::testing::TempDir t("stack-state-unit");
  std::string path = t.path() + "/state.json";
  REQUIRE(stack::write_file_atomic(path, "{\"version\":1,"));
  auto r = read_state(path);
  REQUIRE(!r);
  CHECK(r.error().message.rfind("state file '" + path + "' is corrupt: ", 0) == 0);
  CHECK(!read_state(t.path() + "/missing.json"));
}

namespace {

// A temp dir for state.json and a loop for a StateWriter; the loop must close clean.
struct WriterFixture {
  stack::testing::TempDir t{"stack-state-unit"};
  std::string path = t.path() + "/state.json";
  uv_loop_t loop{};
  WriterFixture() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~WriterFixture() { CHECK(stack::uv_close_loop(&loop)); }
  void drain(const StateWriter& w) {
    while (!w.idle()) uv_run(&loop, UV_RUN_ONCE);
  }
};

}  // namespace

TEST_CASE("StateWriter writes the newest document off the loop and removes it on close") {
  WriterFixture fx;
  auto& path = fx.path;
  {
    StateWriter w(&fx.loop, path);
    w.update("one");
    CHECK(!w.idle());
    w.update("two");
    w.update("three");  // replaces "two": only the newest pending one is written
    fx.drain(w);
    CHECK(w.last_error() == "");
    CHECK(*stack::read_file(path) == "three");
    w.update("four");
    w.close_and_remove();  // the write in flight ends, then the file goes
    w.update("five");      // ignored once closed
    fx.drain(w);
    CHECK(::access(path.c_str(), F_OK) != 0);
  }
}

TEST_CASE("StateWriter makes a lazy document once per write, the newest when the write in flight ends") {
  WriterFixture fx;
  auto& path = fx.path;
  {
    StateWriter w(&fx.loop, path);
    std::vector<std::string> made;
    auto doc = [&](std::string text) {
      return [&made, text] {
        made.push_back(text);
        return text;
      };
    };
    w.update_lazily(doc("one"));  // no write in flight: made at once
    CHECK(made == std::vector<std::string>{"one"});
    w.update_lazily(doc("two"));
    w.update_lazily(doc("three"));  // replaces "two", which is never made
    CHECK(made.size() == 1);
    fx.drain(w);
    CHECK(made == std::vector<std::string>{"one", "three"});
    CHECK(*stack::read_file(path) == "three");
    w.update_lazily(doc("four"));
    w.update_lazily(doc("five"));
    w.close_and_remove();  // the pending one is dropped, never made
    fx.drain(w);
    CHECK(made == std::vector<std::string>{"one", "three", "four"});
    CHECK(::access(path.c_str(), F_OK) != 0);
  }
}

TEST_CASE("event_json and event_text follow compose's shapes") {
  ContainerEvent e{1'700'000'000'123'456'789, "die", "p-web-1", "web", {{"exitCode", "137"}, {"name", "p-web-1"}}};
  auto j = event_json(e);
  CHECK(j["type"] == "container");
  CHECK(j["action"] == "die");
  CHECK(j["id"] == "p-web-1");
  CHECK(j["service"] == "web");
  CHECK(j["time"] == "2023-11-14T22:13:20.123456789Z");
  CHECK(event_text(j) == "2023-11-14 22:13:20.123456 container die p-web-1 (exitCode=137, name=p-web-1)");
}
