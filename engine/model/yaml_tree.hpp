#pragma once
// Our own YAML tree: yaml-cpp's events turned into plain nodes that remember where they
// were written (file:line:col) and whether a scalar was quoted, with mapping order kept,
// anchors/aliases and merge keys (`<<`) expanded, and duplicate keys rejected.
// yaml-cpp exceptions never leave this module: every failure is a Result with a position.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::model {

// A position in a file; line and col are 1-based. `file` points at a name owned by the
// loader, which outlives every tree it builds.
struct Pos {
  const std::string* file = nullptr;
  int line = 0;
  int col = 0;
  std::string str() const;  // "file:line:col"
};

struct Entry;

struct Node {
  enum class Kind : uint8_t { Null, Scalar, Sequence, Mapping };
  Kind kind = Kind::Null;
  bool quoted = false;  // a scalar written in quotes or tagged !!str: always a string
  Pos pos;
  std::string text;            // Scalar
  std::vector<Node> items;     // Sequence
  std::vector<Entry> entries;  // Mapping, in file order; keys are scalars

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Sequence; }
  bool is_map() const { return kind == Kind::Mapping; }
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Adds or replaces key's value (mappings only).
  void set(const Node& key, Node value);
  const char* kind_name() const;
};

struct Entry {
  Node key;
  Node value;
};

Node make_scalar(std::string text, Pos pos, bool quoted = true);
Node make_map(Pos pos);

struct ParseLimits {
  size_t max_nodes = 1'000'000;   // nodes after expanding aliases (billion laughs)
  size_t max_bytes = 64u << 20;   // scalar bytes after expanding aliases
  int max_depth = 400;            // nesting; yaml-cpp itself stops at 500
};

// Parses one YAML document. An empty input (or only comments) is a Null node.
// More than one document is an error, as compose reads one document per file.
Result<Node> parse_yaml(std::string_view text, const std::string* file, const ParseLimits& limits = {});

// "FILE:LINE:COL: path: message" as every model error reads.
Unexpected<Error> fail_at(const Pos& pos, std::string_view path, std::string_view message);
inline Unexpected<Error> fail_at(const Node& node, std::string_view path, std::string_view message) {
  return fail_at(node.pos, path, message);
}

// Key path helpers: join("services", "web") = "services.web", index("ports", 1) = "ports[1]".
std::string join_path(std::string_view path, std::string_view key);
std::string index_path(std::string_view path, size_t i);

// The byte offset of the first invalid UTF-8 sequence (or, with require_printable, the first
// character YAML 1.2 §5.1 does not allow in a stream), or npos.
size_t invalid_utf8(std::string_view text, bool require_printable);

// A scalar's text quoted for messages: "80800".
std::string quote(std::string_view text);

}  // namespace stack::model
