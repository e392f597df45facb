#include <catch2/catch.hpp>

#include <chrono>

#include "engine/model/yaml_tree.hpp"
#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using stack::model::test::error_of;

namespace {
const std::string kFile = "t.yaml";
}

TEST_CASE("yaml: positions are 1-based and scalars remember quoting", "[yaml]") {
  auto n = parse_yaml("a: 1\nb:\n  c: \"2\"\n", &kFile);
  REQUIRE(n);
  REQUIRE(n->is_map());
  const Node* b = n->find("b");
  REQUIRE(b);
  const Node* c = b->find("c");
  REQUIRE(c);
  CHECK(c->text == "2");
  CHECK(c->quoted);
  CHECK(c->pos.line == 3);
  CHECK(c->pos.col == 6);
  CHECK(c->pos.str() == "t.yaml:3:6");
  CHECK_FALSE(n->find("a")->quoted);
}

TEST_CASE("yaml: mapping order is kept", "[yaml]") {
  auto n = parse_yaml("z: 1\na: 2\nm: 3\n", &kFile);
  REQUIRE(n);
  REQUIRE(n->entries.size() == 3);
  CHECK(n->entries[0].key.text == "z");
  CHECK(n->entries[1].key.text == "a");
  CHECK(n->entries[2].key.text == "m");
}

TEST_CASE("yaml: anchors, aliases and merge keys", "[yaml]") {
  auto n = parse_yaml(
      "base: &b {x: 1, y: 2}\n"
      "other: &o {y: 3, z: 4}\n"
      "one: {<<: *b, x: 9}\n"
      "two: {<<: [*b, *o]}\n"
      "alias: *b\n",
      &kFile);
  REQUIRE(n);
  const Node* one = n->find("one");
  CHECK(one->find("x")->text == "9");  // written key wins over the merged one
  CHECK(one->find("y")->text == "2");
  const Node* two = n->find("two");
  CHECK(two->find("y")->text == "2");  // earlier map in the list wins
  CHECK(two->find("z")->text == "4");
  CHECK(n->find("alias")->find("x")->text == "1");
  CHECK_FALSE(one->find("<<"));
}

TEST_CASE("yaml: a merge key needs mappings", "[yaml]") {
  auto n = parse_yaml("a: &s 1\nb: {<<: *s}\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("merge key needs a mapping") != std::string::npos);
}

TEST_CASE("yaml: duplicate keys are rejected with both places", "[yaml]") {
  auto n = parse_yaml("services:\n  web: {}\n  web: {}\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message == "t.yaml:3:3: services: duplicate key \"web\" (first at line 2)");
}

TEST_CASE("yaml: syntax errors carry the position", "[yaml]") {
  auto n = parse_yaml("a: [1, 2\nb: c\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.rfind("t.yaml:", 0) == 0);
  CHECK(n.error().message.find("invalid YAML") != std::string::npos);
}

TEST_CASE("yaml: an alias bomb stops at the node budget, quickly", "[yaml][limits]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" +
            prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  auto start = std::chrono::steady_clock::now();
  auto n = parse_yaml(bomb, &kFile);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("more than 1000000 nodes") != std::string::npos);
  CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("yaml: a byte bomb stops at the byte budget", "[yaml][limits]") {
  std::string big(1 << 20, 'x');
  std::string doc = "a: &a " + big + "\nb: [";
  for (int i = 0; i < 100; ++i) doc += "*a, ";
  doc += "*a]\n";
  auto n = parse_yaml(doc, &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("bytes (alias bomb?)") != std::string::npos);
}

TEST_CASE("yaml: 20,000-deep nesting is an error, not a crash", "[yaml][limits]") {
  for (const auto& [open, close] : {std::pair{"[", "]"}, std::pair{"{a: ", "}"}}) {
    std::string doc;
    for (int i = 0; i < 20000; ++i) doc += open;
    for (int i = 0; i < 20000; ++i) doc += close;
    auto n = parse_yaml(doc, &kFile);
    REQUIRE_FALSE(n);
    CHECK(n.error().message.find("nesting deeper than") != std::string::npos);
  }
}

TEST_CASE("yaml: deep block nesting is an error", "[yaml][limits]") {
  std::string doc;
  for (int i = 0; i < 1000; ++i) doc += std::string(static_cast<size_t>(i), ' ') + "a:\n";
  auto n = parse_yaml(doc, &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("nesting deeper than") != std::string::npos);
}

TEST_CASE("yaml: a recursive alias is an error", "[yaml][limits]") {
  auto n = parse_yaml("a: &a [*a]\n", &kFile);
  REQUIRE_FALSE(n);
}

TEST_CASE("yaml: empty input is a null node; the loader calls it empty", "[yaml]") {
  auto n = parse_yaml("# only a comment\n", &kFile);
  REQUIRE(n);
  CHECK(n->is_null());
  CHECK(error_of("") == "stack.yaml:1:1: the stack file is empty");
}

TEST_CASE("yaml: binary garbage is an error", "[yaml]") {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  std::string msg = error_of(garbage);
  CHECK_FALSE(msg.empty());
  CHECK(msg.rfind("stack.yaml:", 0) == 0);
  CHECK(error_of(std::string("\0\0\0\xff\xfe", 5)) != "");
}

TEST_CASE("yaml: several documents in one file are refused", "[yaml]") {
  auto n = parse_yaml("a: 1\n---\nb: 2\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("more than one YAML document") != std::string::npos);
}

TEST_CASE("yaml: compose's !reset and other tags are refused by name", "[yaml]") {
  auto n = parse_yaml("a: !reset []\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message == "t.yaml:1:4: a: YAML tag \"!reset\" is not supported");
  auto s = parse_yaml("a: !!str 5\n", &kFile);
  REQUIRE(s);
  CHECK(s->find("a")->quoted);
}

TEST_CASE("yaml: a mapping key must be a scalar", "[yaml]") {
  auto n = parse_yaml("? [a]\n: b\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message.find("mapping key must be a string") != std::string::npos);
}

TEST_CASE("yaml: invalid UTF-8 is refused with its place", "[yaml]") {
  auto n = parse_yaml("a: 1\nb: x\xff\n", &kFile);
  REQUIRE_FALSE(n);
  CHECK(n.error().message == "t.yaml:2:5: invalid UTF-8 or a control character (byte 9)");
  CHECK_FALSE(parse_yaml(std::string("a: x\0y\n", 7), &kFile));  // NUL, which yaml-cpp would mangle
  CHECK_FALSE(parse_yaml("a: \x1b[31m\n", &kFile));                // escape
  CHECK_FALSE(parse_yaml("a: \xc2\x80\n", &kFile));                // C1 control
  CHECK(parse_yaml("\xef\xbb\xbf" "a: 1\r\n", &kFile));             // BOM and CRLF are fine
  CHECK_FALSE(parse_yaml("a: \xc0\xaf\n", &kFile));          // overlong
  CHECK_FALSE(parse_yaml("a: \xed\xa0\x80\n", &kFile));      // surrogate
  CHECK_FALSE(parse_yaml("a: \xe2\x82\n", &kFile));          // truncated
  auto ok = parse_yaml("a: \"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"\n", &kFile);
  REQUIRE(ok);
  CHECK(ok->find("a")->text == "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}
