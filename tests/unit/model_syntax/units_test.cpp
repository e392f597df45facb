// Sizes, durations, cpus and command words, against the Go functions compose uses.
#include <catch2/catch.hpp>

#include "engine/model/units.hpp"

using namespace stack::model;

namespace {
constexpr int64_t kMs = 1000000, kS = 1000 * kMs, kM = 60 * kS, kH = 60 * kM;

int64_t size_ok(std::string_view s) {
  auto r = parse_size(s);
  INFO("size: " << s);
  if (!r) FAIL(r.error().message);
  return *r;
}
int64_t dur_ok(std::string_view s) {
  auto r = parse_duration_ns(s);
  INFO("duration: " << s);
  if (!r) FAIL(r.error().message);
  return *r;
}
std::string dur_err(std::string_view s) {
  auto r = parse_duration_ns(s);
  INFO("duration: " << s);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}
std::vector<std::string> words(std::string_view s) {
  auto r = shell_split(s);
  INFO("command: " << s);
  if (!r) FAIL(r.error().message);
  return *r;
}
std::string words_err(std::string_view s) {
  auto r = shell_split(s);
  INFO("command: " << s);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}
using W = std::vector<std::string>;
}  // namespace

TEST_CASE("parse_size: go-units RAMInBytes", "[units]") {
  CHECK(size_ok("2048") == 2048);
  CHECK(size_ok("0") == 0);
  CHECK(size_ok("32") == 32);
  CHECK(size_ok("32b") == 32);
  CHECK(size_ok("32B") == 32);
  CHECK(size_ok("32k") == 32 * 1024);
  CHECK(size_ok("32K") == 32 * 1024);
  CHECK(size_ok("32kb") == 32 * 1024);
  CHECK(size_ok("32Kib") == 32 * 1024);
  CHECK(size_ok("32KIB") == 32 * 1024);
  CHECK(size_ok("512m") == 512LL << 20);
  CHECK(size_ok("512MB") == 512LL << 20);
  CHECK(size_ok("1g") == 1LL << 30);
  CHECK(size_ok("1.5G") == 3LL << 29);
  CHECK(size_ok("1gb") == 1LL << 30);
  CHECK(size_ok("2t") == 2LL << 40);
  CHECK(size_ok("3p") == 3LL << 50);
  CHECK(size_ok("32.3Kib") == 33075);  // 33075.2 truncated, as Go's int64()
  CHECK(size_ok("1 m") == 1LL << 20);
  CHECK(size_ok("7 ") == 7);
  CHECK(size_ok("5i") == 5);
  for (const char* bad : {"", " 1", "-1", "1.", ".5", "1.2.3", "1x", "1kk", "1  m", "1mib2",
                          "m", "1 bb", "0x10", "1e3", "32bi", "1m ", "99999999999p"}) {
    INFO("bad size: " << bad);
    CHECK_FALSE(parse_size(bad).has_value());
  }
  CHECK(parse_size("1x").error().message == "invalid size: '1x'");
  CHECK(parse_size("9000000p").error().message == "size too large: '9000000p'");
}

TEST_CASE("parse_duration_ns: Go time.ParseDuration", "[units]") {
  CHECK(dur_ok("0") == 0);
  CHECK(dur_ok("-0") == 0);
  CHECK(dur_ok("0s") == 0);
  CHECK(dur_ok("5s") == 5 * kS);
  CHECK(dur_ok("30s") == 30 * kS);
  CHECK(dur_ok("1478s") == 1478 * kS);
  CHECK(dur_ok("-5s") == -5 * kS);
  CHECK(dur_ok("+5s") == 5 * kS);
  CHECK(dur_ok("1m30s") == 90 * kS);
  CHECK(dur_ok("500ms") == 500 * kMs);
  CHECK(dur_ok("1h") == kH);
  CHECK(dur_ok("1.5s") == 1500 * kMs);
  CHECK(dur_ok("1.5h") == 90 * kM);
  CHECK(dur_ok(".5s") == 500 * kMs);
  CHECK(dur_ok("5.s") == 5 * kS);
  CHECK(dur_ok("10us") == 10000);
  CHECK(dur_ok("10\xC2\xB5s") == 10000);
  CHECK(dur_ok("10\xCE\xBCs") == 10000);
  CHECK(dur_ok("7ns") == 7);
  CHECK(dur_ok("3h30m") == 3 * kH + 30 * kM);
  CHECK(dur_ok("1h2m3s4ms5us6ns") == kH + 2 * kM + 3 * kS + 4 * kMs + 5006);
  CHECK(dur_ok("39h9m14.425s") == 39 * kH + 9 * kM + 14425 * kMs);
  CHECK(dur_ok("0.3333333333333333333h") == 20 * kM);
  CHECK(dur_ok("9223372036854775807ns") == INT64_MAX);
  CHECK(dur_ok("-9223372036854775808ns") == INT64_MIN);
  CHECK(dur_ok("0.100000000000000000000h") == 6 * kM);
  CHECK(dur_err("") == "time: invalid duration \"\"");
  CHECK(dur_err("3") == "time: missing unit in duration \"3\"");
  CHECK(dur_err("1d") == "time: unknown unit \"d\" in duration \"1d\"");
  CHECK(dur_err("1ss") == "time: unknown unit \"ss\" in duration \"1ss\"");
  for (const char* bad : {"-", "s", ".", ".s", "+.s", "1.5", "3000000h", "9223372036854775808ns",
                          "-9223372036854775809ns", " 1s", "1s ", "1S", "5s-3s", "1e3s"}) {
    INFO("bad duration: " << bad);
    CHECK_FALSE(parse_duration_ns(bad).has_value());
  }
}

TEST_CASE("format_duration: Go Duration.String", "[units]") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(1) == "1ns");
  CHECK(format_duration(1100) == "1.1\xC2\xB5s");
  CHECK(format_duration(2200 * 1000) == "2.2ms");
  CHECK(format_duration(500 * kMs) == "500ms");
  CHECK(format_duration(kS) == "1s");
  CHECK(format_duration(1500 * kMs) == "1.5s");
  CHECK(format_duration(90 * kS) == "1m30s");
  CHECK(format_duration(kH) == "1h0m0s");
  CHECK(format_duration(kH + 1) == "1h0m0.000000001s");
  CHECK(format_duration(-90 * kS) == "-1m30s");
  CHECK(format_duration(-1) == "-1ns");
  CHECK(format_duration(INT64_MAX) == "2562047h47m16.854775807s");
  CHECK(format_duration(INT64_MIN) == "-2562047h47m16.854775808s");
  for (const char* text : {"1m30s", "500ms", "1h0m0s", "10s", "1.5s", "2h45m0.5s"}) {
    CHECK(format_duration(dur_ok(text)) == text);
  }
}

TEST_CASE("parse_cpus: decimal strings", "[units]") {
  CHECK(*parse_cpus("0.5") == 0.5);
  CHECK(*parse_cpus("2") == 2.0);
  CHECK(*parse_cpus("0") == 0.0);
  CHECK(*parse_cpus("+1.25") == 1.25);
  CHECK(*parse_cpus("1e1") == 10.0);
  for (const char* bad : {"", "-1", "-0.5", "abc", "1,5", "inf", "nan", "1.5x", " 1", "1e999"}) {
    INFO("bad cpus: " << bad);
    CHECK_FALSE(parse_cpus(bad).has_value());
  }
  CHECK_THAT(parse_cpus("-1").error().message, Catch::Contains("must not be negative"));
}

TEST_CASE("shell_split: words, quotes and escapes", "[units]") {
  CHECK(words("echo hello") == W{"echo", "hello"});
  CHECK(words("  echo \t hello \n") == W{"echo", "hello"});
  CHECK(words("") == W{});
  CHECK(words("   ") == W{});
  CHECK(words(R"(echo "a b")") == W{"echo", "a b"});
  CHECK(words("echo 'a b' c") == W{"echo", "a b", "c"});
  CHECK(words(R"(echo "")") == W{"echo", ""});
  CHECK(words("echo ''") == W{"echo", ""});
  CHECK(words(R"(a"b c"d)") == W{"ab cd"});
  CHECK(words(R"(echo a\ b)") == W{"echo", "a b"});
  CHECK(words(R"(echo \"x\")") == W{"echo", "\"x\""});
  CHECK(words(R"(echo "a\"b")") == W{"echo", "a\"b"});
  CHECK(words(R"(echo "a\b")") == W{"echo", "ab"});
  CHECK(words(R"(echo 'a\b')") == W{"echo", "a\\b"});
  CHECK(words(R"(echo "it's")") == W{"echo", "it's"});
  CHECK(words("sh -c 'echo a; echo b && exit 1'") == W{"sh", "-c", "echo a; echo b && exit 1"});
  CHECK(words("echo $HOME ${X}") == W{"echo", "$HOME", "${X}"});
  CHECK(words("echo $(date +%s) x") == W{"echo", "$(date +%s)", "x"});
  CHECK(words("echo `date`") == W{"echo", "`date`"});
  CHECK(words("echo 'a\nb'") == W{"echo", "a\nb"});
}

TEST_CASE("shell_split: errors", "[units]") {
  CHECK_THAT(words_err(R"(echo "a)"), Catch::EndsWith("unterminated double quote"));
  CHECK_THAT(words_err("echo 'a"), Catch::EndsWith("unterminated single quote"));
  CHECK_THAT(words_err("echo a\\"), Catch::EndsWith("trailing backslash"));
  CHECK_THAT(words_err("echo `a"), Catch::EndsWith("unterminated backquote"));
  CHECK_THAT(words_err("echo $(a"), Catch::EndsWith("unterminated $("));
  CHECK_THAT(words_err("echo (a)"), Catch::EndsWith("unquoted '('"));
  CHECK_THAT(words_err("echo a)"), Catch::EndsWith("unmatched ')'"));
  for (const char* op : {"a; b", "a && b", "a | b", "a > f", "a < f", "a 2>&1"}) {
    CHECK_THAT(words_err(op), Catch::Contains("unquoted shell operator"));
  }
  CHECK_THAT(words_err("echo 'a"), Catch::StartsWith("invalid command string \"echo 'a\""));
}
