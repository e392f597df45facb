#include "engine/model/yaml_tree.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace stack::model {
namespace {

// A node as yaml-cpp reports it: an alias is the very node its anchor names, so the
// result is a graph (possibly cyclic: `&a [*a]`). Raw nodes live in an arena and point
// at each other; expansion into a tree happens under a budget.
struct Raw {
  Node::Kind kind = Node::Kind::Null;
  bool quoted = false;
  Pos pos;
  std::string text;       // scalar, or the unsupported tag of a collection
  std::string bad_tag;    // a tag we do not understand (e.g. compose's !reset)
  std::vector<Raw*> kids;  // sequence items; mapping: key, value, key, value, ...
};

struct TooDeep {};

class Builder : public YAML::EventHandler {
 public:
  Builder(const std::string* file, int max_depth) : file_(file), max_depth_(max_depth) {}
  Raw* root() const { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { add(make(Node::Kind::Null, m), a); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t a) override {
    // yaml-cpp rejects an unknown alias itself; an anchor id of 0 never reaches here.
    auto it = anchors_.find(a);
    if (it != anchors_.end()) add(it->second, 0);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                const std::string& value) override {
    Raw* r = make(Node::Kind::Scalar, m);
    r->text = value;
    // "?" is a plain scalar, "!" a quoted one; !!str keeps a number a string.
    if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      r->quoted = true;
    } else if (tag != "?" && tag.rfind("tag:yaml.org,2002:", 0) != 0) {
      r->bad_tag = tag;
    }
    add(r, a);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::Sequence, m, tag, a);
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::Mapping, m, tag, a);
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  Raw* make(Node::Kind kind, const YAML::Mark& m) {
    arena_.push_back(std::make_unique<Raw>());
    Raw* r = arena_.back().get();
    r->kind = kind;
    r->pos = Pos{file_, m.line + 1, m.column + 1};
    return r;
  }
  void add(Raw* r, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = r;
    if (stack_.empty()) {
      if (!root_) root_ = r;
    } else {
      stack_.back()->kids.push_back(r);
    }
  }
  void open(Node::Kind kind, const YAML::Mark& m, const std::string& tag, YAML::anchor_t a) {
    if (static_cast<int>(stack_.size()) >= max_depth_) throw TooDeep{};
    Raw* r = make(kind, m);
    if (tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0) r->bad_tag = tag;
    add(r, a);  // registered before its children: an alias inside refers to an open node
    stack_.push_back(r);
  }

  const std::string* file_;
  int max_depth_;
  std::vector<std::unique_ptr<Raw>> arena_;
  std::unordered_map<YAML::anchor_t, Raw*> anchors_;
  std::vector<Raw*> stack_;
  Raw* root_ = nullptr;
};

class Expander {
 public:
  explicit Expander(const ParseLimits& limits) : limits_(limits) {}

  Result<Node> expand(const Raw* r, int depth, const std::string& path) {
    if (depth > limits_.max_depth) {
      return fail_at(r->pos, path, "nesting deeper than " + std::to_string(limits_.max_depth) +
                                       " levels (or a recursive alias)");
    }
    if (++nodes_ > limits_.max_nodes) {
      return fail_at(r->pos, path, "document expands to more than " +
                                       std::to_string(limits_.max_nodes) + " nodes (alias bomb?)");
    }
    bytes_ += r->text.size();
    if (bytes_ > limits_.max_bytes) {
      return fail_at(r->pos, path, "document expands to more than " +
                                       std::to_string(limits_.max_bytes) + " bytes (alias bomb?)");
    }
    if (!r->bad_tag.empty()) {
      return fail_at(r->pos, path, "YAML tag " + quote(r->bad_tag) + " is not supported");
    }
    if (r->kind == Node::Kind::Scalar && invalid_utf8(r->text, false) != std::string_view::npos) {
      return fail_at(r->pos, path, "the value is not valid UTF-8");
    }
    Node n;
    n.kind = r->kind;
    n.quoted = r->quoted;
    n.pos = r->pos;
    n.text = r->text;
    if (r->kind == Node::Kind::Sequence) {
      n.items.reserve(r->kids.size());
      for (size_t i = 0; i < r->kids.size(); ++i) {
        auto item = expand(r->kids[i], depth + 1, index_path(path, i));
        if (!item) return unexpected(std::move(item).error());
        n.items.push_back(std::move(*item));
      }
    } else if (r->kind == Node::Kind::Mapping) {
      STACK_TRY(expand_map(r, depth, path, n));
    }
    return n;
  }

 private:
  Result<void> expand_map(const Raw* r, int depth, const std::string& path, Node& out);
  Result<void> merge_into(const Raw* value, int depth, const std::string& path,
                          std::vector<Entry>& merged, std::unordered_set<std::string>& keys);

  const ParseLimits& limits_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

// YAML merge keys (https://yaml.org/type/merge.html): keys written in the mapping win
// over merged ones; among merged mappings, the earlier in the list wins.
Result<void> Expander::merge_into(const Raw* value, int depth, const std::string& path,
                                  std::vector<Entry>& merged,
                                  std::unordered_set<std::string>& keys) {
  auto v = expand(value, depth + 1, join_path(path, "<<"));
  if (!v) return unexpected(std::move(v).error());
  std::vector<Node*> sources;
  if (v->is_map()) {
    sources.push_back(&*v);
  } else if (v->is_seq()) {
    for (auto& item : v->items) {
      if (!item.is_map()) return fail_at(item, join_path(path, "<<"), "merge key needs mappings");
      sources.push_back(&item);
    }
  } else {
    return fail_at(*v, join_path(path, "<<"), "merge key needs a mapping or a list of mappings");
  }
  for (Node* src : sources) {
    for (auto& e : src->entries) {
      if (keys.insert(e.key.text).second) merged.push_back(std::move(e));
    }
  }
  return {};
}

Result<void> Expander::expand_map(const Raw* r, int depth, const std::string& path, Node& out) {
  std::vector<Entry> merged;
  std::unordered_set<std::string> merged_keys;
  std::unordered_map<std::string, Pos> seen;
  for (size_t i = 0; i + 1 < r->kids.size(); i += 2) {
    const Raw* k = r->kids[i];
    if (k->kind == Node::Kind::Scalar && !k->quoted && k->text == "<<") {
      STACK_TRY(merge_into(r->kids[i + 1], depth, path, merged, merged_keys));
      continue;
    }
    if (k->kind != Node::Kind::Scalar) {
      return fail_at(k->pos, path, "a mapping key must be a string");
    }
    auto [it, fresh] = seen.emplace(k->text, k->pos);
    if (!fresh) {
      return fail_at(k->pos, path, "duplicate key " + quote(k->text) + " (first at line " +
                                       std::to_string(it->second.line) + ")");
    }
    auto key = expand(k, depth + 1, path);
    if (!key) return unexpected(std::move(key).error());
    auto value = expand(r->kids[i + 1], depth + 1, join_path(path, k->text));
    if (!value) return unexpected(std::move(value).error());
    out.entries.push_back(Entry{std::move(*key), std::move(*value)});
  }
  for (auto& m : merged) {
    if (!seen.count(m.key.text)) out.entries.push_back(std::move(m));
  }
  return {};
}

// YAML 1.2 §5.1 c-printable: tab, LF, CR, x20-x7E, x85, xA0-xD7FF, xE000-xFFFD, x10000+.
// yaml-cpp mangles a NUL inside a scalar instead of refusing it, so we refuse first.
bool printable(uint32_t cp) {
  return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
         (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

}  // namespace

// The byte offset of the first invalid UTF-8 sequence or non-printable character, or npos.
// YAML streams are Unicode (YAML 1.2 §5.2) and the JSON form must be valid UTF-8.
size_t invalid_utf8(std::string_view s, bool require_printable) {
  size_t i = 0;
  if (require_printable && s.substr(0, 3) == "\xef\xbb\xbf") i = 3;  // a byte order mark may start a stream
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (require_printable && !printable(c)) return i;
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + n >= s.size()) return i;
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    bool overlong = (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000);
    if (overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    if (require_printable && !printable(cp)) return i;
    i += n + 1;
  }
  return std::string_view::npos;
}

std::string Pos::str() const {
  return (file ? *file : std::string("<input>")) + ":" + std::to_string(line) + ":" +
         std::to_string(col);
}

const Node* Node::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key.text == key) return &e.value;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (auto& e : entries) {
    if (e.key.text == key) return &e.value;
  }
  return nullptr;
}

void Node::set(const Node& key, Node value) {
  if (Node* v = find(key.text)) {
    *v = std::move(value);
  } else {
    entries.push_back(Entry{key, std::move(value)});
  }
}

const char* Node::kind_name() const {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Scalar: return "a scalar";
    case Kind::Sequence: return "a list";
    case Kind::Mapping: return "a mapping";
  }
  return "?";
}

Node make_scalar(std::string text, Pos pos, bool quoted) {
  Node n;
  n.kind = Node::Kind::Scalar;
  n.text = std::move(text);
  n.pos = pos;
  n.quoted = quoted;
  return n;
}

Node make_map(Pos pos) {
  Node n;
  n.kind = Node::Kind::Mapping;
  n.pos = pos;
  return n;
}

Result<Node> parse_yaml(std::string_view text, const std::string* file, const ParseLimits& limits) {
  Builder builder(file, limits.max_depth);
  Pos start{file, 1, 1};
  if (size_t bad = invalid_utf8(text, true); bad != std::string_view::npos) {
    std::string_view before = text.substr(0, bad);
    int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    size_t nl = before.rfind('\n');
    int col = 1 + static_cast<int>(nl == std::string_view::npos ? bad : bad - nl - 1);
    return fail_at(Pos{file, line, col}, "",
                   "invalid UTF-8 or a control character (byte " + std::to_string(bad) + ")");
  }
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    if (parser.HandleNextDocument(builder)) {
      Builder second(file, limits.max_depth);
      if (parser.HandleNextDocument(second) && second.root()) {
        return fail_at(second.root()->pos, "", "more than one YAML document in the file");
      }
    }
  } catch (const TooDeep&) {
    return fail_at(start, "", "nesting deeper than " + std::to_string(limits.max_depth) + " levels");
  } catch (const YAML::DeepRecursion& e) {
    return fail_at(start, "", "nesting deeper than " + std::to_string(e.depth()) + " levels");
  } catch (const YAML::Exception& e) {
    Pos at = e.mark.is_null() ? start : Pos{file, e.mark.line + 1, e.mark.column + 1};
    return fail_at(at, "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return fail_at(start, "", std::string("invalid YAML: ") + e.what());
  }
  if (!builder.root()) {
    Node empty;
    empty.pos = start;
    return empty;
  }
  Expander expander(limits);
  return expander.expand(builder.root(), 0, "");
}

Unexpected<Error> fail_at(const Pos& pos, std::string_view path, std::string_view message) {
  std::string m = pos.str() + ": ";
  if (!path.empty()) m += std::string(path) + ": ";
  m += message;
  return fail(std::move(m));
}

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string p(path);
  p += '.';
  p += key;
  return p;
}

std::string index_path(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string quote(std::string_view text) {
  std::string q = "\"";
  for (char c : text.substr(0, 200)) {
    if (c == '"' || c == '\\') q += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      q += "\\x";
      const char* hex = "0123456789abcdef";
      q += hex[(c >> 4) & 0xf];
      q += hex[c & 0xf];
      continue;
    }
    q += c;
  }
  if (text.size() > 200) q += "...";
  q += '"';
  return q;
}

}  // namespace stack::model
