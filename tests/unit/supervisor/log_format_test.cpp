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
  CHECK(out == "{\"log\":\"hi \\\"you\\\" \\\\ \\u0009\\u0001\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:01.5Z\"}\n");
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

namespace {

// Docker's escaping spelled out byte by byte (moby daemon/logger/jsonfilelog/jsonlog,
// ffjsonWriteJSONBytesAsString, with Go's utf8.DecodeRune), to check the fast one against.
std::string docker_escape(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') out += static_cast<char>(b);
      else if (b == '\\' || b == '"') out += std::string("\\") + static_cast<char>(b);
      else if (b == '\n') out += "\\n";
      else if (b == '\r') out += "\\r";
      else out += std::string("\\u00") + kHex[b >> 4] + kHex[b & 15];
      ++i;
      continue;
    }
    // Go's DecodeRune: the sequence's length by its first byte, continuation bytes in
    // 80..BF, and the narrower second-byte ranges for E0, ED, F0 and F4.
    std::size_t n = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    unsigned char lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
    bool ok = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      unsigned char c = static_cast<unsigned char>(s[i + k]);
      ok = k == 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xBF;
    }
    if (!ok) {
      out += "\\ufffd";
      ++i;
    } else if (n == 3 && s.substr(i, 2) == "\xE2\x80" && (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
      out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 3;
    } else {
      out += s.substr(i, n);
      i += n;
    }
  }
  return out;
}

std::string log_field(const std::string& text, bool newline) {
  std::string out;
  encode_log_line(text, newline, "stdout", 0, out);
  std::string_view v(out);
  REQUIRE(v.substr(0, 8) == "{\"log\":\"");
  auto end = v.rfind("\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:00Z\"}\n");
  REQUIRE(end != std::string_view::npos);
  return std::string(v.substr(8, end - 8));
}

}  // namespace

TEST_CASE("escaping is Docker's: HTML characters, tab, line separators, invalid UTF-8") {
  CHECK(log_field("<a href=\"x\">&amp;</a>", false) ==
        "\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e");
  CHECK(log_field("a\tb\x7F\x1F", true) == "a\\u0009b\x7F\\u001f\\n");
  CHECK(log_field("x\xE2\x80\xA8y\xE2\x80\xA9z\xE2\x80\xAA", false) == "x\\u2028y\\u2029z\xE2\x80\xAA");
  CHECK(log_field("\xED\xA0\x80 \xC0\xAF \xF4\x90\x80\x80 \xEF\xBF\xBD", false) ==
        "\\ufffd\\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd \xEF\xBF\xBD");
  CHECK(log_field("", true) == "\\n");
  CHECK(log_field("\xE2\x82", false) == "\\ufffd\\ufffd");  // cut short at the end
}

TEST_CASE("one byte to escape anywhere in a plain line is found, in every 16-byte block and the tail") {
  // The scan takes 16 bytes at a time and then the last 16 again: a special byte in
  // any position, of every kind it looks for (and the plain bytes next to them).
  const std::string specials[] = {"\"", "\\", "<", ">", "&", "\x01", "\x1F", "\n", "\x80", "\xC3\xA9", "\xFF",
                                  "\x7F", "=", "?", "!", "'", "%", "$", ";", "]"};
  for (std::size_t len = 1; len <= 70; ++len)
    for (std::size_t at = 0; at < len; ++at)
      for (const auto& sp : specials) {
        std::string text(len, 'a');
        text.replace(at, 1, sp);
        INFO("length " << len << ", byte " << at);
        REQUIRE(log_field(text, true) == docker_escape(text) + "\\n");
      }
  CHECK(log_field(std::string(64, 'z'), false) == std::string(64, 'z'));
}

TEST_CASE("escaping matches Docker's on random bytes") {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab <>&\"\\\t\r\n\x01\x7F") + "\xC3\xA9\xE2\x80\xA8\xA9\xED\xF0\x9F\x98\x80\xFF\xC0";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    std::size_t len = rng() % 40;
    for (std::size_t i = 0; i < len; ++i)
      text += rng() % 4 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() % 256);
    INFO("round " << round);
    REQUIRE(log_field(text, false) == docker_escape(text));
  }
}

TEST_CASE("lines of one time share their suffix; a new time or stream makes a new one") {
  std::string out;
  encode_log_line("a", true, "stdout", 1'000'000'001, out);
  encode_log_line("b", true, "stdout", 1'000'000'001, out);
  encode_log_line("c", false, "stderr", 1'000'000'001, out);
  encode_log_line("d", true, "stderr", 2'000'000'000, out);
  CHECK(out ==
        "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:01.000000001Z\"}\n"
        "{\"log\":\"b\\n\",\"stream\":\"stdout\",\"time\":\"1970-01-01T00:00:01.000000001Z\"}\n"
        "{\"log\":\"c\",\"stream\":\"stderr\",\"time\":\"1970-01-01T00:00:01.000000001Z\"}\n"
        "{\"log\":\"d\\n\",\"stream\":\"stderr\",\"time\":\"1970-01-01T00:00:02Z\"}\n");
}

TEST_CASE("a line is cut from the read's bytes without a copy; only a read's last piece is kept") {
  LineSplitter s;
  std::string read = "one\ntwo\nthr";
  std::vector<const char*> where;
  std::vector<std::string> texts;
  s.feed_each(read, [&](std::string_view t, bool nl, bool) {
    CHECK(nl);
    where.push_back(t.data());
    texts.emplace_back(t);
  });
  REQUIRE(texts == std::vector<std::string>{"one", "two"});
  CHECK(where[0] == read.data());
  CHECK(where[1] == read.data() + 4);
  CHECK(s.pending() == 3);
  texts.clear();
  s.feed_each("ee\nfour", [&](std::string_view t, bool nl, bool) {
    CHECK(nl);
    texts.emplace_back(t);
  });
  s.finish_each([&](std::string_view t, bool nl, bool) {
    CHECK_FALSE(nl);
    texts.emplace_back(t);
  });
  CHECK(texts == std::vector<std::string>{"three", "four"});
  CHECK(s.pending() == 0);
}

TEST_CASE("find_line_end finds the first newline and whether the bytes before it are plain") {
  // A reference a byte at a time; every length across the 16- and 32-byte blocks and
  // their overlapping last block, every special byte at every place, before and after
  // a newline.
  auto reference = [](std::string_view s, bool& plain) {
    std::size_t nl = std::min(s.find('\n'), s.size());
    std::string line(s.substr(0, nl));
    plain = log_field(line, false) == line;
    return nl;
  };
  const std::string specials[] = {"\"", "\\", "<", ">", "&", "\x01", "\x1F", "\x80", "\xFF", "\x7F", "=", "\n"};
  auto variants = find_line_end_variants();
  REQUIRE(!variants.empty());
  for (std::size_t v = 0; v <= variants.size(); ++v)  // v == size(): the dispatched one
    for (std::size_t len = 0; len <= 140; ++len)
      for (std::size_t at = 0; at <= len; ++at)
        for (const auto& sp : specials)
          for (std::size_t nl_at : {std::string::npos, std::size_t{0}, len / 2, len - 1}) {
            std::string text(len, 'a');
            if (at < len) text.replace(at, 1, sp);
            if (nl_at < len && nl_at != at) text[nl_at] = '\n';
            bool plain = false, want_plain = false;
            std::size_t end = v < variants.size() ? variants[v](text.data(), text.size(), plain) : find_line_end(text, plain);
            INFO("variant " << v << " of " << variants.size() << ", length " << len << ", special at " << at
                            << ", newline at " << nl_at);
            REQUIRE(end == reference(text, want_plain));
            REQUIRE(plain == want_plain);
          }
}

TEST_CASE("lines the splitter calls plain are encoded as the escaping encoder would") {
  std::mt19937 rng(11);
  const std::string alphabet = std::string("abcdefgh <>&\"\\\t\n\x01\x7F") + "\xC3\xA9\xE2\x80\xA8\xFF";
  std::size_t plain_lines = 0;
  for (int round = 0; round < 300; ++round) {
    std::string data;
    std::size_t len = rng() % 5000;
    for (std::size_t i = 0; i < len; ++i)
      data += rng() % 60 == 0 ? '\n' : rng() % 400 ? static_cast<char>('a' + rng() % 26) : alphabet[rng() % alphabet.size()];
    LineSplitter s;
    auto check = [&](std::string_view text, bool newline, bool plain) {
      std::string hinted, looked;
      encode_log_line(text, newline, "stdout", 0, hinted, plain);
      encode_log_line(text, newline, "stdout", 0, looked, false);
      REQUIRE(hinted == looked);
      plain_lines += plain;
    };
    for (std::size_t i = 0; i < data.size();) {
      std::size_t n = 1 + rng() % 700;
      s.feed_each(std::string_view(data).substr(i, n), check);
      i += n;
    }
    s.finish_each(check);
  }
  CHECK(plain_lines > 1000);  // the hint is given, not only withheld
}
