#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/base/file.hpp"
#include "engine/supervisor/log_file.hpp"
#include "engine/supervisor/log_follow.hpp"
#include "engine/supervisor/log_printer.hpp"
#include "engine/supervisor/logs_command.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

namespace {

constexpr int64_t kSec = 1'000'000'000;
const int64_t kT0 = 1'714'557'600 * kSec;  // 2024-05-01T10:00:00Z

// A logs directory with the containers' files, written through LogFile.
struct Logs {
  stack::testing::TempDir dir{"stack-sup-logs"};
  std::map<std::string, std::unique_ptr<LogFile>> files;
  std::string logs() const { return dir.path() + "/logs"; }
  LogFile& file(const std::string& c, LogFileOptions o = {}) {
    auto& f = files[c];
    if (!f) {
      REQUIRE(stack::make_dirs(logs() + "/" + c));
      f = std::move(*LogFile::open(logs() + "/" + c + "/" + c + "-json.log", o));
    }
    return *f;
  }
  void put(const std::string& c, const std::string& text, int64_t t, std::string_view stream = "stdout",
           bool newline = true) {
    auto& f = file(c);
    REQUIRE(f.append({text, newline}, stream, t));
    REQUIRE(f.flush());
  }
};

std::vector<std::string> texts(const std::vector<LogLine>& ls) {
  std::vector<std::string> out;
  for (const auto& l : ls) out.push_back(l.text);
  return out;
}

}  // namespace

TEST_CASE("log sources are the containers with a log, named without the project") {
  Logs l;
  l.put("p-web-1", "x", kT0);
  l.put("p-db-1", "x", kT0);
  l.put("p-my-svc-12", "x", kT0);
  REQUIRE(stack::make_dirs(l.logs() + "/p-empty-1"));  // no log file yet
  auto s = list_log_sources(l.logs(), "p");
  REQUIRE(s);
  REQUIRE(s->size() == 3);
  CHECK((*s)[0].container == "p-db-1");
  CHECK((*s)[0].display == "db-1");
  CHECK((*s)[0].service == "db");
  CHECK((*s)[1].display == "my-svc-12");
  CHECK((*s)[1].service == "my-svc");
  CHECK((*s)[2].path == l.logs() + "/p-web-1/p-web-1-json.log");
  CHECK(list_log_sources(l.dir.path() + "/none", "p")->empty());
}

TEST_CASE("rotated files are read oldest first; tail, since and until select") {
  Logs l;
  auto& f = l.file("p-web-1", {600, 4});
  for (int i = 0; i < 40; ++i) REQUIRE(f.append({"l" + std::to_string(i), true}, "stdout", kT0 + i * kSec));
  REQUIRE(f.flush());
  std::string live = l.logs() + "/p-web-1/p-web-1-json.log";
  auto files = rotated_files(live);
  REQUIRE(files.size() == 4);
  CHECK(files[0] == live + ".3");
  CHECK(files[3] == live);

  auto src = *list_log_sources(l.logs(), "p");
  auto all = read_logs(src, {});
  REQUIRE(all);
  REQUIRE(!all->empty());
  CHECK(all->back().text == "l39");
  int first = std::stoi(all->front().text.substr(1));
  for (std::size_t i = 0; i < all->size(); ++i) CHECK((*all)[i].text == "l" + std::to_string(first + static_cast<int>(i)));

  auto tail = read_logs(src, {3, {}, {}});
  CHECK(texts(*tail) == std::vector<std::string>{"l37", "l38", "l39"});
  auto window = read_logs(src, {{}, kT0 + 25 * kSec, kT0 + 27 * kSec});
  CHECK(texts(*window) == std::vector<std::string>{"l25", "l26", "l27"});
  // Docker applies the tail first, then the time filter.
  auto both = read_logs(src, {2, kT0 + 20 * kSec, kT0 + 38 * kSec});
  CHECK(texts(*both) == std::vector<std::string>{"l38"});
}

TEST_CASE("the printer writes compose's prefixes, colours and timestamps") {
  LogPrinter p({false, true, false});
  p.add("web-1");
  LogLine l{0, "stdout", kT0, "hello", true};
  CHECK(p.format(l, "web-1") == "web-1  | hello\n");
  p.add("database-1");
  CHECK(p.format(l, "web-1") == "web-1       | hello\n");
  CHECK(p.format(l, "database-1") == "database-1  | hello\n");

  LogPrinter c({true, true, true});
  c.add("a-1");
  c.add("b-1");
  CHECK(c.format(l, "a-1") == "\033[36ma-1  | \033[0m2024-05-01T10:00:00.000000000Z hello\n");
  CHECK(c.prefix("b-1") == "\033[33mb-1  | \033[0m");
  for (int i = 0; i < 9; ++i) c.add("x" + std::to_string(i));
  CHECK(c.prefix("x7").substr(0, 9) == "\033[34;1mx7");  // the tenth colour: intense blue
  CHECK(c.prefix("x8").substr(0, 6) == "\033[36mx");   // and round again

  LogPrinter bare({false, false, true});
  CHECK(bare.format({0, "stdout", kT0 + 5, "x", true}, "web-1") == "2024-05-01T10:00:00.000000005Z x\n");
}

TEST_CASE("the printer joins the partial pieces of a long line") {
  LogPrinter p({false, true, false});
  CHECK(p.format({0, "stdout", kT0, "aaa", false}, "w-1").empty());
  CHECK(p.format({0, "stderr", kT0, "err", true}, "w-1") == "w-1  | err\n");
  CHECK(p.format({0, "stdout", kT0, "bbb", false}, "w-1").empty());
  CHECK(p.format({0, "stdout", kT0, "c", true}, "w-1") == "w-1  | aaabbbc\n");
  CHECK(p.format({0, "stdout", kT0, "tail", false}, "w-1").empty());
  CHECK(p.flush() == "w-1  | tail\n");
}

TEST_CASE("colour only on a terminal, without --no-color and NO_COLOR") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  CHECK_FALSE(use_color(false, p[0]));  // a pipe is not a terminal
  ::close(p[0]);
  ::close(p[1]);
  CHECK_FALSE(use_color(true, 1));
  ::setenv("NO_COLOR", "1", 1);
  CHECK_FALSE(use_color(false, 1));
  ::unsetenv("NO_COLOR");
}

TEST_CASE("a cursor follows appends, several rotations between reads, and truncation") {
  Logs l;
  auto& f = l.file("p-w-1", {400, 5});
  std::string live = l.logs() + "/p-w-1/p-w-1-json.log";
  LogCursor c(live);
  std::vector<std::string> raw;
  REQUIRE(c.read_all(raw));
  CHECK(raw.empty());
  int next = 0;
  auto write_n = [&](int n) {
    for (int i = 0; i < n; ++i, ++next) REQUIRE(f.append({"m" + std::to_string(next), true}, "stdout", kT0));
    REQUIRE(f.flush());
  };
  std::vector<std::string> seen;
  auto read = [&] {
    std::vector<std::string> r;
    REQUIRE(c.read_new(r));
    std::vector<LogLine> ls;
    select_lines(r, 0, {}, ls);
    for (auto& x : ls) seen.push_back(x.text);
  };
  write_n(2);
  read();
  write_n(9);  // about two rotations (each file holds ~5 lines)
  read();
  write_n(1);
  read();
  read();
  REQUIRE(seen.size() == static_cast<std::size_t>(next));
  for (int i = 0; i < next; ++i) CHECK(seen[static_cast<std::size_t>(i)] == "m" + std::to_string(i));

  // max-file 1 truncates in place: the cursor starts the file again.
  Logs t;
  auto& g = t.file("p-t-1", {300, 1});
  LogCursor tc(t.logs() + "/p-t-1/p-t-1-json.log");
  std::vector<std::string> got;
  REQUIRE(tc.read_all(got));
  for (int i = 0; i < 3; ++i) REQUIRE(g.append({"t" + std::to_string(i), true}, "stdout", kT0));
  REQUIRE(g.flush());
  REQUIRE(tc.read_new(got));
  std::vector<LogLine> ls;
  select_lines(got, 0, {}, ls);
  CHECK(texts(ls) == std::vector<std::string>{"t0", "t1", "t2"});
  // t3 and t4 fill the file past 300 bytes; t5 truncates it first, then lands.
  for (int i = 3; i < 6; ++i) REQUIRE(g.append({"t" + std::to_string(i), true}, "stdout", kT0));
  REQUIRE(g.flush());
  got.clear();
  REQUIRE(tc.read_new(got));
  ls.clear();
  select_lines(got, 0, {}, ls);
  CHECK(texts(ls) == std::vector<std::string>{"t5"});
}

TEST_CASE("logs prints every container's lines in time order, stderr apart") {
  Logs l;
  l.put("p-web-1", "w0", kT0);
  l.put("p-db-1", "d0", kT0 + 1);
  l.put("p-web-1", "w1 err", kT0 + 2, "stderr");
  std::string out, err;
  auto write = [&](std::string_view s, bool is_err) { (is_err ? err : out) += s; };
  LogsRequest r;
  r.logs_dir = l.logs();
  r.project = "p";
  REQUIRE(run_logs(r, write));
  CHECK(out == "web-1  | w0\ndb-1   | d0\n");
  CHECK(err == "web-1  | w1 err\n");

  out.clear();
  err.clear();
  r.services = {"db"};
  r.print.prefix = false;
  REQUIRE(run_logs(r, write));
  CHECK(out == "d0\n");
}

TEST_CASE("the logs flags become a query") {
  const int64_t now = kT0;
  auto q = make_log_query("all", "", "", now);
  REQUIRE(q);
  CHECK_FALSE(q->tail);
  q = make_log_query("5", "10m", "2024-05-01T10:00:00Z", now);
  REQUIRE(q);
  CHECK(*q->tail == 5);
  CHECK(*q->since_ns == now - 600 * kSec);
  CHECK(*q->until_ns == now);
  CHECK_FALSE(make_log_query("x", "", "", now));
  CHECK_FALSE(make_log_query("", "soon", "", now));
  CHECK_FALSE(make_log_query("", "", "later", now));
  CHECK_FALSE(make_log_query("-1", "", "", now)->tail);
}

TEST_CASE("follow mode sees new lines, rotation and new containers, and stops at --until") {
  Logs l;
  l.put("p-web-1", "old1", kT0);
  l.put("p-web-1", "old2", kT0 + 1);
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::vector<std::string> got;
  bool done = false;
  LogFollower::Callbacks cb;
  cb.discover = [&] { return list_log_sources(l.logs(), "p"); };
  cb.on_lines = [&](const std::vector<LogSource>& s, const std::vector<LogLine>& ls) {
    for (const auto& x : ls) got.push_back(s[x.source].display + ":" + x.text);
  };
  cb.on_error = [&](const stack::Error& e) { FAIL(e.message); };
  cb.on_done = [&] { done = true; };
  LogQuery q;
  q.tail = 1;
  auto f = LogFollower::create(&loop, q, cb, 10);
  REQUIRE(f);
  CHECK(got == std::vector<std::string>{"web-1:old2"});
  got.clear();
  l.put("p-web-1", "new1", kT0 + 2);
  l.put("p-db-1", "db1", kT0 + 3);  // a new container: shown from its start
  uv_run(&loop, UV_RUN_ONCE);       // the timer's first tick
  CHECK(got == std::vector<std::string>{"web-1:new1", "db-1:db1"});
  CHECK(!done);
  f->reset();

  // --until in the past ends following at the next tick.
  LogQuery until;
  until.until_ns = kT0;
  auto g = LogFollower::create(&loop, until, cb, 10);
  REQUIRE(g);
  while (!done) uv_run(&loop, UV_RUN_ONCE);
  g->reset();
  REQUIRE(stack::uv_close_loop(&loop));
}
