#include <time.h>

#include <catch2/catch.hpp>
#include <random>

#include "engine/supervisor/log_format.hpp"

using namespace stack::supervisor;

namespace {

std::vector<LogEntry> split(const std::string& data, std::size_t chunk) {
  LineSplitter s;
  std::vector<LogEntry> out;
  for (std::size_t i = 0; i < data.size(); i += chunk) s.feed(std::string_view(data).substr(i, chunk), out);
  s.finish(out);
  return out;
}

std::string join(const std::vector<LogEntry>& es) {
  std::string s;
  for (const auto& e : es) s += e.text + (e.newline ? "\n" : "");
  return s;
}

}  // namespace

TEST_CASE("lines are cut at newlines whatever the read sizes") {
  std::string data = "one\n\ntwo three\nfour";
  for (std::size_t chunk : {1, 2, 3, 5, 100}) {
    auto es = split(data, chunk);
    REQUIRE(es.size() == 4);
    CHECK(es[0].text == "one");
    CHECK(es[1].text.empty());
    CHECK(es[2].text == "two three");
    CHECK(es[3].text == "four");
    CHECK((es[0].newline && es[1].newline && es[2].newline));
    CHECK_FALSE(es[3].newline);  // the last partial line is written at EOF as it is
  }
}

TEST_CASE("a line longer than 16 KiB is cut into 16 KiB partial records like Docker's") {
  std::string exact(kMaxLogLine, 'a');
  auto es = split(exact + "\n", 4096);
  REQUIRE(es.size() == 1);
  CHECK(es[0].newline);
  CHECK(es[0].text.size() == kMaxLogLine);

  es = split(std::string(kMaxLogLine + 1, 'b') + "\n", 1000);
  REQUIRE(es.size() == 2);
  CHECK_FALSE(es[0].newline);
  CHECK(es[0].text.size() == kMaxLogLine);
  CHECK(es[1].newline);
  CHECK(es[1].text == "b");

  es = split(std::string(40000, 'c'), 7);
  REQUIRE(es.size() == 3);
  CHECK(es[0].text.size() == kMaxLogLine);
  CHECK(es[1].text.size() == kMaxLogLine);
  CHECK(es[2].text.size() == 40000 - 2 * kMaxLogLine);
  for (const auto& e : es) CHECK_FALSE(e.newline);
}

TEST_CASE("splitting loses, adds and reorders nothing (random data, random reads)") {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::string data;
    std::size_t len = rng() % 60000;
    for (std::size_t i = 0; i < len; ++i) data += (rng() % 50 == 0) ? '\n' : static_cast<char>('a' + rng() % 26);
    auto whole = split(data, data.size() + 1);
    LineSplitter s;
    std::vector<LogEntry> out;
    for (std::size_t i = 0; i < data.size();) {
      std::size_t n = 1 + rng() % 20000;
      s.feed(std::string_view(data).substr(i, n), out);
      i += n;
      CHECK(s.pending() <= kMaxLogLine);
    }
    s.finish(out);
    CHECK(join(out) == data);
    REQUIRE(out.size() == whole.size());
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i].text == whole[i].text);
  }
}

TEST_CASE("records are Docker's json-file lines and parse back") {
  std::string out;
  encode_log_line({"hi \"you\" \\ \t\x01", true}, "stdout", 1'500'000'000, out);
  CHECK(out == "{\"log\":\"hi \\\"you\\\" \\\\ \\t\\u0001\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:01.5Z\"}\n");
  auto r = parse_log_line(std::string_view(out).substr(0, out.size() - 1));
  REQUIRE(r);
  CHECK(r->log == "hi \"you\" \\ \t\x01\n");
  CHECK(r->stream == "stdout");
  CHECK(r->time_ns == 1'500'000'000);

  out.clear();
  encode_log_line({"caf\xC3\xA9 \xFF\xC3 \xE2\x82\xAC", false}, "stderr", 0, out);
  r = parse_log_line(out);
  REQUIRE(r);
  CHECK(r->log == "caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD \xE2\x82\xAC");  // invalid bytes are U+FFFD
  CHECK(r->stream == "stderr");
  CHECK_FALSE(parse_log_line("{\"log\":1}"));
  CHECK_FALSE(parse_log_line("{\"log\":\"x\",\"time\":\"yesterday\"}"));
  CHECK_FALSE(parse_log_line("{\"log\":\"x\",\"ti"));
}

TEST_CASE("RFC 3339 times are formatted like Go's RFC3339Nano and parsed") {
  CHECK(format_rfc3339_nano(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339_nano(1'714'557'600'123'456'789) == "2024-05-01T10:00:00.123456789Z");
  CHECK(format_rfc3339_nano(1'714'557'600'120'000'000) == "2024-05-01T10:00:00.12Z");
  CHECK(*parse_rfc3339("2024-05-01T10:00:00.123456789Z") == 1'714'557'600'123'456'789);
  CHECK(*parse_rfc3339("2024-05-01T12:00:00+02:00") == 1'714'557'600'000'000'000);
  CHECK(*parse_rfc3339("2024-05-01T09:30:00.5-00:30") == 1'714'557'600'500'000'000);
  for (const char* bad : {"", "2024-05-01", "2024-05-01T10:00:00", "2024-13-01T10:00:00Z", "2024-05-01T10:00:00.Z",
                          "2024-05-01T10:00:00+0200", "x"})
    CHECK_FALSE(parse_rfc3339(bad));
}

TEST_CASE("--since and --until accept RFC 3339, unix times, local dates and durations") {
  const int64_t now = 1'714'557'600'000'000'000;
  CHECK(*parse_go_duration("1h30m") == 5'400'000'000'000);
  CHECK(*parse_go_duration("500ms") == 500'000'000);
  CHECK(*parse_go_duration("1.5h") == 5'400'000'000'000);
  CHECK(*parse_go_duration("2us") == 2000);
  CHECK_FALSE(parse_go_duration("10x"));
  CHECK_FALSE(parse_go_duration("m"));
  CHECK(*parse_time_arg("10m", now) == now - 600'000'000'000);
  CHECK(*parse_time_arg("1700000000", now) == 1'700'000'000'000'000'000);
  CHECK(*parse_time_arg("1700000000.25", now) == 1'700'000'000'250'000'000);
  CHECK(*parse_time_arg("2024-05-01T10:00:00Z", now) == now);
  tm t{};
  t.tm_year = 124;
  t.tm_mon = 4;
  t.tm_mday = 1;
  t.tm_isdst = -1;
  CHECK(*parse_time_arg("2024-05-01", now) == static_cast<int64_t>(::mktime(&t)) * 1'000'000'000);
  CHECK_FALSE(parse_time_arg("soon", now));
  CHECK_FALSE(parse_time_arg("1.2.3", now));
}
