// Interpolation rules, case by case as compose-go's template tests state them.
#include <catch2/catch.hpp>

#include <map>

#include "engine/model/interpolate.hpp"

using stack::model::interpolate;
using stack::model::Lookup;

namespace {

// FOO set, BAR set but empty, JSON holding braces; everything else unset.
const std::map<std::string, std::string, std::less<>> kVars = {
    {"FOO", "first"}, {"BAR", ""}, {"JSON", R"({"json":2})"}, {"lower_1", "low"}};

Lookup lookup() {
  return [](std::string_view name) -> std::optional<std::string> {
    auto it = kVars.find(name);
    if (it == kVars.end()) return std::nullopt;
    return it->second;
  };
}

std::string ok(std::string_view text) {
  auto r = interpolate(text, lookup());
  INFO("template: " << text);
  REQUIRE(r.has_value());
  return *r;
}

std::string err(std::string_view text) {
  auto r = interpolate(text, lookup());
  INFO("template: " << text);
  REQUIRE_FALSE(r.has_value());
  return r.error().message;
}

}  // namespace

TEST_CASE("interpolate: plain text and escapes", "[interpolate]") {
  CHECK(ok("foo") == "foo");
  CHECK(ok("") == "");
  CHECK(ok("$${foo}") == "${foo}");
  CHECK(ok("$$FOO") == "$FOO");
  CHECK(ok("$$$FOO") == "$first");
  CHECK(ok("a $$ b") == "a $ b");
  // A "$" that starts no substitution stays as written.
  CHECK(ok("a $ string") == "a $ string");
  CHECK(ok("^REGEX$") == "^REGEX$");
  CHECK(ok("$}") == "$}");
  CHECK(ok("$") == "$");
  CHECK(ok("$1 $-x") == "$1 $-x");
}

TEST_CASE("interpolate: named and braced variables", "[interpolate]") {
  CHECK(ok("This $FOO var") == "This first var");
  CHECK(ok("This ${FOO} var") == "This first var");
  CHECK(ok("$FOO-bar") == "first-bar");
  CHECK(ok("$FOO.bar") == "first.bar");
  CHECK(ok("${FOO}${FOO}") == "firstfirst");
  CHECK(ok("$lower_1") == "low");
  CHECK(ok("${lower_1}x") == "lowx");
  CHECK(ok("This ${missing} var") == "This  var");
  CHECK(ok("This ${BAR} var") == "This  var");
  CHECK(ok("$missing/x") == "/x");
  CHECK(ok("${JSON}") == R"({"json":2})");
}

TEST_CASE("interpolate: unset names are reported", "[interpolate]") {
  std::vector<std::string> unset;
  auto r = interpolate("$A ${B} ${C:-x} $FOO ${BAR}", lookup(), &unset);
  REQUIRE(r.has_value());
  CHECK(*r == "  x first ");
  CHECK(unset == std::vector<std::string>{"A", "B"});
}

TEST_CASE("interpolate: defaults", "[interpolate]") {
  CHECK(ok("ok ${missing:-def}") == "ok def");
  CHECK(ok("ok ${missing-def}") == "ok def");
  CHECK(ok("ok ${BAR:-def}") == "ok def");
  CHECK(ok("ok ${BAR-def}") == "ok ");
  CHECK(ok("ok ${FOO:-def}") == "ok first");
  CHECK(ok("ok ${FOO-def}") == "ok first");
  CHECK(ok("ok ${missing:-}") == "ok ");
  CHECK(ok("ok ${BAR:-/non:-alphanumeric}") == "ok /non:-alphanumeric");
  CHECK(ok("${UNSET_VAR-myerror?msg}") == "myerror?msg");
  CHECK(ok("ok ${SUBDOMAIN:-redis}.${FOO:?}") == "ok redis.first");
  CHECK(ok("${A:-x} y}") == "x y}");
}

TEST_CASE("interpolate: replacements", "[interpolate]") {
  CHECK(ok("ok ${UNSET_VAR:+presence_value}") == "ok ");
  CHECK(ok("ok ${UNSET_VAR+presence_value}") == "ok ");
  CHECK(ok("ok ${FOO:+presence_value}") == "ok presence_value");
  CHECK(ok("ok ${FOO+presence_value}") == "ok presence_value");
  CHECK(ok("ok ${BAR+presence_value}") == "ok presence_value");
  CHECK(ok("ok ${BAR:+presence_value}") == "ok ");
  CHECK(ok("${A:+${A},}B") == "B");
  CHECK(ok("${FOO:+${FOO},}B") == "first,B");
}

TEST_CASE("interpolate: nested substitutions", "[interpolate]") {
  CHECK(ok("ok ${UNSET_VAR-$FOO}") == "ok first");
  CHECK(ok("ok ${UNSET_VAR-${FOO}}") == "ok first");
  CHECK(ok("ok ${UNSET_VAR-${FOO} ${FOO}}") == "ok first first");
  CHECK(ok("ok ${BAR:-$FOO}") == "ok first");
  CHECK(ok("ok ${BAR:-${FOO} ${FOO}}") == "ok first first");
  CHECK(ok("ok ${BAR+$FOO}") == "ok first");
  CHECK(ok("ok ${BAR+$FOO ${FOO:+second}}") == "ok first second");
  CHECK(ok("+ok ${UNSET:-${BAR-defaultValue}}") == "+ok ");
  CHECK(ok("${A:-${B:-${C:-deep}}}") == "deep");
  CHECK(ok("${A:-$$}") == "$");
  // Text around a form never changes which operator applies.
  CHECK(ok("-ok ${BAR:-defaultValue}") == "-ok defaultValue");
  CHECK(ok(":-ok ${UNSET-defaultValue}") == ":-ok defaultValue");
  CHECK(ok(":?ok ${BAR-defaultValue}") == ":?ok ");
  CHECK(ok("?ok ${BAR:-defaultValue}") == "?ok defaultValue");
  // A default is evaluated only when used: its errors do not count otherwise.
  CHECK(ok("${FOO:-${}}") == "first");
  CHECK(ok("${FOO?${B:?never}}") == "first");
}

TEST_CASE("interpolate: braces inside defaults", "[interpolate]") {
  CHECK(ok(R"(ok ${missing:-{"json":1}})") == R"(ok {"json":1})");
  CHECK(ok(R"(ok ${missing-{"json":1}})") == R"(ok {"json":1})");
  CHECK(ok(R"(ok ${JSON:-{"json":1}})") == R"(ok {"json":2})");
  CHECK(ok(R"(ok ${JSON-{"json":1}})") == R"(ok {"json":2})");
  // Unbalanced: the form ends at the last "}" (compose's greedy pattern).
  CHECK(ok("${A:-{x}") == "{x");
}

TEST_CASE("interpolate: required variables", "[interpolate]") {
  CHECK(ok("ok ${FOO:?err}") == "ok first");
  CHECK(ok("ok ${FOO?err}") == "ok first");
  CHECK(ok("ok ${BAR?err}") == "ok ");
  CHECK(ok("${FOO?bar-baz}") == "first");
  CHECK(err("not ok ${UNSET_VAR:?Mandatory Variable Unset}") ==
        "required variable UNSET_VAR is missing a value: Mandatory Variable Unset");
  CHECK(err("not ok ${BAR:?Mandatory Variable Empty}") ==
        "required variable BAR is missing a value: Mandatory Variable Empty");
  CHECK(err("not ok ${UNSET_VAR:?}") == "required variable UNSET_VAR is missing a value");
  CHECK(err("not ok ${UNSET_VAR?Mandatory Variable Unset}") ==
        "required variable UNSET_VAR is missing a value: Mandatory Variable Unset");
  CHECK(err("not ok ${UNSET_VAR?}") == "required variable UNSET_VAR is missing a value");
  CHECK(err("${UNSET_VAR?bar-baz}") == "required variable UNSET_VAR is missing a value: bar-baz");
  CHECK(err("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}") ==
        "required variable UNSET_VAR is missing a value: Mandatory Variable first");
  CHECK(err("x ${FOO} ${NOPE?y}") == "required variable NOPE is missing a value: y");
}

TEST_CASE("interpolate: invalid forms", "[interpolate]") {
  for (const char* bad : {"${", "${}", "${ }", "${ foo}", "${foo }", "${foo!}", "${V", "${ V}",
                          "${V:x}", "${V:}", "a ${1}", "${V:-${}", "${V-x", "x${"}) {
    auto message = err(bad);
    INFO(bad);
    CHECK_THAT(message, Catch::StartsWith("invalid interpolation format for \"" +
                                          std::string(bad) + "\""));
    CHECK_THAT(message, Catch::Contains("escape any $ with another $"));
  }
}

TEST_CASE("interpolate: hostile nesting fails fast", "[interpolate]") {
  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "${A:-";
  deep += "x";
  deep += std::string(20000, '}');
  CHECK_THAT(err(deep), Catch::Contains("nested deeper than"));
  std::string shallow = "${A:-${B:-${C:-x}}}";
  CHECK(ok(shallow) == "x");
  // Long invalid text is cut in the message.
  std::string long_bad = "${" + std::string(5000, 'a');
  CHECK(err(long_bad).size() < 400);
}

TEST_CASE("interpolate: no lookup function means all unset", "[interpolate]") {
  auto r = interpolate("${A:-d}$B", Lookup{});
  REQUIRE(r.has_value());
  CHECK(*r == "d");
}
