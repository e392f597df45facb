// The dotenv format, as compose-go's dotenv tests and fixtures exercise it.
#include <catch2/catch.hpp>

#include <map>

#include "engine/model/dotenv.hpp"

using stack::model::EnvEntry;
using stack::model::Lookup;
using stack::model::parse_dotenv;

namespace {

const std::map<std::string, std::string, std::less<>> kProcessEnv = {
    {"HOME_DIR", "/home/me"}, {"OVERRIDE", "from-process"}, {"EMPTY", ""}};

Lookup env() {
  return [](std::string_view name) -> std::optional<std::string> {
    auto it = kProcessEnv.find(name);
    if (it == kProcessEnv.end()) return std::nullopt;
    return it->second;
  };
}

std::vector<EnvEntry> ok(std::string_view text) {
  auto r = parse_dotenv(text, env());
  INFO("input: " << text);
  if (!r) FAIL(r.error().message);
  return *r;
}

// The value of KEY (last entry wins); "<unset>" for an entry without value.
std::string value(std::string_view text, std::string_view key) {
  std::string found = "<absent>";
  for (const auto& e : ok(text)) {
    if (e.key == key) found = e.value.value_or("<unset>");
  }
  return found;
}

std::string err(std::string_view text) {
  auto r = parse_dotenv(text, env());
  INFO("input: " << text);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

}  // namespace

TEST_CASE("dotenv: plain values", "[dotenv]") {
  CHECK(value("A=b", "A") == "b");
  CHECK(value("A=b\n", "A") == "b");
  CHECK(value("A = b  ", "A") == "b");
  CHECK(value("A=", "A") == "");
  CHECK(value("A=\nB=c", "A") == "");
  CHECK(value("A: b", "A") == "b");
  CHECK(value("export A=b", "A") == "b");
  CHECK(value("export  A=b", "A") == "b");
  CHECK(value("export=1", "export") == "1");
  CHECK(value("A.B-C[0]=x", "A.B-C[0]") == "x");
  CHECK(value("A=b=c", "A") == "b=c");
  CHECK(value("A=b\r\n", "A") == "b");
  CHECK(value("\xEF\xBB\xBF" "A=b", "A") == "b");
  CHECK(value("A=1\nA=2", "A") == "2");
}

TEST_CASE("dotenv: comments", "[dotenv]") {
  CHECK(value("# comment\nA=b", "A") == "b");
  CHECK(value("  # indented comment\nA=b\n# end", "A") == "b");
  CHECK(value("A=b # comment", "A") == "b");
  CHECK(value("A=b#not-comment", "A") == "b#not-comment");
  CHECK(value("A='b' # comment", "A") == "b");
  CHECK(value("A=\"b # kept\"", "A") == "b # kept");
  CHECK(ok("# only a comment").empty());
  CHECK(ok("").empty());
  CHECK(ok("\n\n  \n").empty());
}

TEST_CASE("dotenv: single quotes are literal", "[dotenv]") {
  CHECK(value("A='b c'", "A") == "b c");
  CHECK(value("A='$HOME_DIR'", "A") == "$HOME_DIR");
  CHECK(value(R"(A='a\nb')", "A") == R"(a\nb)");
  CHECK(value(R"(A='it\'s')", "A") == "it's");
  CHECK(value("A='line1\nline2'", "A") == "line1\nline2");
  CHECK(value("A=''", "A") == "");
}

TEST_CASE("dotenv: double quotes expand escapes and variables", "[dotenv]") {
  CHECK(value(R"(A="b c")", "A") == "b c");
  CHECK(value(R"(A="a\nb")", "A") == "a\nb");
  CHECK(value(R"(A="a\tb")", "A") == "a\tb");
  CHECK(value(R"(A="say \"hi\"")", "A") == "say \"hi\"");
  CHECK(value(R"(A="back\\slash")", "A") == "back\\slash");
  CHECK(value(R"(A="\$HOME_DIR")", "A") == "$HOME_DIR");
  CHECK(value(R"(A="$HOME_DIR/x")", "A") == "/home/me/x");
  CHECK(value(R"(A="\0101")", "A") == "A");
  CHECK(value(R"(A="\x41")", "A") == R"(\x41)");
  CHECK(value(R"(A="\01")", "A") == R"(\01)");
  CHECK(value(R"(A="\0377")", "A") == "\xC3\xBF");  // Go writes the rune as UTF-8
  CHECK(value("A=\"multi\nline\"", "A") == "multi\nline");
  CHECK(value(R"(A="")", "A") == "");
}

TEST_CASE("dotenv: interpolation", "[dotenv]") {
  CHECK(value("A=$HOME_DIR/data", "A") == "/home/me/data");
  CHECK(value("A=${HOME_DIR}", "A") == "/home/me");
  CHECK(value("A=${NOPE:-dflt}", "A") == "dflt");
  CHECK(value("A=$$literal", "A") == "$literal");
  // Earlier keys of the same file are visible; the process environment wins.
  CHECK(value("B=one\nA=${B}-two", "A") == "one-two");
  CHECK(value("OVERRIDE=file\nA=$OVERRIDE", "A") == "from-process");
  CHECK(value("OVERRIDE=file", "OVERRIDE") == "file");
  CHECK_THAT(err("A=ok\nB=${NOPE:?must be set}"),
             Catch::Equals("line 2: required variable NOPE is missing a value: must be set"));
  CHECK_THAT(err("\n\nB=\"${\""), Catch::StartsWith("line 3: invalid interpolation format"));
}

TEST_CASE("dotenv: bare keys are inherited", "[dotenv]") {
  auto entries = ok("HOME_DIR\nNOPE\nEMPTY\nX=1");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].key == "HOME_DIR");
  CHECK(entries[0].value == std::optional<std::string>("/home/me"));
  CHECK(entries[1].key == "NOPE");
  CHECK_FALSE(entries[1].value.has_value());
  CHECK(entries[2].value == std::optional<std::string>(""));
  CHECK(value("HOME_DIR", "HOME_DIR") == "/home/me");  // last line, no newline
  CHECK(value("X=1\nX", "X") == "1");                   // unset bare key keeps the value
}

TEST_CASE("dotenv: line numbers", "[dotenv]") {
  auto entries = ok("# c\n\nA=1\nB='x\ny'\nC=3\n  D=4");
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].line == 3);
  CHECK(entries[1].line == 4);
  CHECK(entries[2].line == 6);
  CHECK(entries[3].line == 7);
}

TEST_CASE("dotenv: errors name the line", "[dotenv]") {
  CHECK(err("A=1\nB C=2") == "line 2: key cannot contain a space");
  CHECK_THAT(err("A=1\n\nB$=2"),
             Catch::Equals("line 3: unexpected character \"$\" in variable name \"B$=2\""));
  CHECK_THAT(err("A=1\nB=\"open\nstill"),
             Catch::Equals("line 2: unterminated quoted value \"open"));
  CHECK_THAT(err("A='x"), Catch::Equals("line 1: unterminated quoted value 'x"));
  CHECK(err("A=1\n=x") == "line 2: empty variable name");
  CHECK_THAT(err("{\"json\": 1}"), Catch::StartsWith("line 1: unexpected character \"{\""));
}

TEST_CASE("dotenv: values that double line after line are refused, not expanded", "[dotenv]") {
  // A=16 bytes, B=2^k x A ... would reach gigabytes within a few dozen lines.
  std::string text = "V0=0123456789abcdef\n";
  for (int i = 1; i <= 40; ++i)
    text += "V" + std::to_string(i) + "=${V" + std::to_string(i - 1) + "}${V" + std::to_string(i - 1) + "}\n";
  std::string e = err(text);
  CHECK(e.find("expanded value would exceed 16 MiB") != std::string::npos);
  INFO(e);
  CHECK(e.rfind("line 21:", 0) == 0);  // V20 (line 21) would be 16 MiB plus its own text
  // Below the budget, the same shape is fine.
  CHECK(value("A=xy\nB=${A}${A}\nC=${B}${B}\n", "C") == "xyxyxyxy");
}
