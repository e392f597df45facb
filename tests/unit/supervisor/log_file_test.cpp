#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "engine/base/file.hpp"
#include "engine/supervisor/log_file.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

namespace {

std::vector<std::string> logs_of(const std::string& path) {
  std::vector<std::string> out;
  auto text = stack::read_file(path);
  if (!text) return out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    auto r = parse_log_line(line);
    REQUIRE(r);
    out.push_back(r->log);
  }
  return out;
}

bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

}  // namespace

TEST_CASE("logging options follow the json-file driver") {
  CHECK(*parse_log_size("10m") == 10u << 20);
  CHECK(*parse_log_size("1k") == 1024);
  CHECK(*parse_log_size("1.5K") == 1536);
  CHECK(*parse_log_size("100") == 100);
  CHECK(*parse_log_size("2GiB") == 2ull << 30);
  CHECK(*parse_log_size("3mb") == 3u << 20);
  CHECK(*parse_log_size("-1") == 0);
  CHECK_FALSE(parse_log_size("x"));
  CHECK_FALSE(parse_log_size("10q"));

  auto o = parse_log_options("json-file", {{"max-size", "1k"}, {"max-file", "3"}});
  REQUIRE(o);
  REQUIRE(o->has_value());
  CHECK((*o)->max_size == 1024);
  CHECK((*o)->max_file == 3);
  o = parse_log_options("", {});
  REQUIRE((o && o->has_value()));
  CHECK((*o)->max_size == 0);
  o = parse_log_options("none", {});
  REQUIRE(o);
  CHECK_FALSE(o->has_value());
  CHECK_FALSE(parse_log_options("syslog", {}));
  CHECK_FALSE(parse_log_options("json-file", {{"max-file", "3"}}));
  CHECK_FALSE(parse_log_options("json-file", {{"max-file", "0"}, {"max-size", "1k"}}));
  CHECK_FALSE(parse_log_options("json-file", {{"compress", "true"}}));
  auto bad = parse_log_options("json-file", {{"max-sise", "1k"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("max-sise") != std::string::npos);
}

TEST_CASE("the log file rotates by size and keeps max-file files, oldest last") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  auto f = LogFile::open(path, {1000, 3});
  REQUIRE(f);
  for (int i = 0; i < 200; ++i) REQUIRE((*f)->append({"line " + std::to_string(i), true}, "stdout", i));
  REQUIRE((*f)->flush());
  CHECK(exists(path + ".1"));
  CHECK(exists(path + ".2"));
  CHECK_FALSE(exists(path + ".3"));
  std::vector<std::string> all;
  for (const auto& p : {path + ".2", path + ".1", path}) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    CHECK(st.st_size < 1000 + 100);  // over max-size by at most one line
    auto part = logs_of(p);
    all.insert(all.end(), part.begin(), part.end());
  }
  // What is kept is the newest lines, contiguous and in order.
  REQUIRE(!all.empty());
  CHECK(all.back() == "line 199\n");
  int first = std::stoi(all.front().substr(5));
  for (std::size_t i = 0; i < all.size(); ++i) CHECK(all[i] == "line " + std::to_string(first + static_cast<int>(i)) + "\n");
}

TEST_CASE("max-file 1 truncates in place") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  auto f = LogFile::open(path, {500, 1});
  REQUIRE(f);
  for (int i = 0; i < 50; ++i) REQUIRE((*f)->append({"line " + std::to_string(i), true}, "stdout", i));
  REQUIRE((*f)->flush());
  CHECK_FALSE(exists(path + ".1"));
  auto lines = logs_of(path);
  CHECK(lines.size() < 10);
}

TEST_CASE("a torn last line from a crash is cut when the log is opened again") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/c-json.log";
  REQUIRE(stack::write_file_atomic(path, "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:00Z\"}\n{\"log\":\"b"));
  auto f = LogFile::open(path, {});
  REQUIRE(f);
  REQUIRE((*f)->append({"c", true}, "stdout", 0));
  REQUIRE((*f)->flush());
  CHECK(logs_of(path) == std::vector<std::string>{"a\n", "c\n"});
}

TEST_CASE("a full disk is an error value, the lines are counted as dropped") {
  // /dev/full fails every write with ENOSPC (null(4)).
  REQUIRE(::access("/dev/full", W_OK) == 0);
  auto f = LogFile::open("/dev/full", {});
  REQUIRE(f);
  REQUIRE((*f)->append({"x", true}, "stdout", 0));
  REQUIRE((*f)->append({"y", true}, "stdout", 0));
  auto r = (*f)->flush();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ENOSPC);
  CHECK(r.error().message.find("/dev/full") != std::string::npos);
  CHECK((*f)->dropped_lines() == 2);
  CHECK((*f)->buffered() == 0);
}

TEST_CASE("a burst's large buffer is given back once the stream is quiet again") {
  stack::testing::TempDir dir;
  auto f = LogFile::open(dir.path() + "/c-json.log", {});
  REQUIRE(f);
  const std::string line(99, 'x');
  for (int i = 0; i < 1500; ++i) REQUIRE((*f)->append({line, true}, "stdout", 1));  // ~250 KB
  CHECK((*f)->buffer_capacity() > 64 * 1024);
  REQUIRE((*f)->flush());
  CHECK((*f)->buffer_capacity() > 64 * 1024);  // a big flush: the burst may go on
  REQUIRE((*f)->append({"the rest of a read", true}, "stdout", 2));
  REQUIRE((*f)->flush());
  CHECK((*f)->buffer_capacity() > 64 * 1024);  // one small flush ends every read of a burst
  for (int i = 0; i < 1500; ++i) REQUIRE((*f)->append({line, true}, "stdout", 3));
  REQUIRE((*f)->flush());
  REQUIRE((*f)->append({"quiet", true}, "stdout", 4));
  REQUIRE((*f)->flush());
  CHECK((*f)->buffer_capacity() > 64 * 1024);
  REQUIRE((*f)->append({"quiet again", true}, "stdout", 5));
  REQUIRE((*f)->flush());
  CHECK((*f)->buffer_capacity() <= 64 * 1024);  // two small flushes in a row: quiet
  CHECK(logs_of(dir.path() + "/c-json.log").size() == 3003);
}

TEST_CASE("a slow large write makes the next 64 MiB go in 32 KiB writes, then a whole buffer is tried again") {
  WritePacer p;
  const std::size_t big = 256 * 1024;
  CHECK(p.piece(big) == big);
  REQUIRE(p.times(big));
  CHECK_FALSE(p.times(4096));  // a quiet stream's small writes are never timed
  p.wrote(big, 60'000);        // ~0.23 us per KiB: warm
  CHECK_FALSE(p.cold());
  CHECK(p.piece(big) == big);
  p.wrote(100, 5'000'000);  // a short write says nothing, however long it took
  CHECK_FALSE(p.cold());
  p.wrote(big, 2'000'000);  // ~7.8 us per KiB
  REQUIRE(p.cold());
  CHECK(p.piece(big) == WritePacer::kColdPiece);
  CHECK(p.piece(1000) == 1000);
  CHECK_FALSE(p.times(WritePacer::kColdPiece));
  uint64_t small = 0;
  while (p.cold()) {
    p.wrote(p.piece(big), -1);
    small += WritePacer::kColdPiece;
  }
  CHECK(small == WritePacer::kColdSpan);
  CHECK(p.piece(big) == big);
  CHECK(p.times(big));
}
