#include "engine/model/merge.hpp"

#include <set>
#include <unordered_map>
#include <unordered_set>

namespace stack::model {
namespace {

// `- KEY=VALUE` / `- KEY` lists (compose's list_or_dict) as a mapping.
Result<void> list_to_map(Node& n, const std::string& path) {
  if (!n.is_seq()) return {};
  Node m = make_map(n.pos);
  std::unordered_map<std::string, size_t> index;  // the last KEY wins, as in compose
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (!item.is_scalar()) {
      return fail_at(item, index_path(path, i), std::string("expected \"KEY=VALUE\", got ") + item.kind_name());
    }
    auto eq = item.text.find('=');
    Node key = make_scalar(item.text.substr(0, eq), item.pos);
    Node value;
    value.pos = item.pos;
    if (eq != std::string::npos) value = make_scalar(item.text.substr(eq + 1), item.pos);
    auto [it, fresh] = index.emplace(key.text, m.entries.size());
    if (fresh) {
      m.entries.push_back(Entry{std::move(key), std::move(value)});
    } else {
      m.entries[it->second].value = std::move(value);
    }
  }
  n = std::move(m);
  return {};
}

// `depends_on: [db]` and `networks: [front]` as mappings.
Result<void> names_to_map(Node& n, const std::string& path, bool depends) {
  if (!n.is_seq()) return {};
  Node m = make_map(n.pos);
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    if (!item.is_scalar()) {
      return fail_at(item, index_path(path, i), std::string("expected a name, got ") + item.kind_name());
    }
    if (!seen.insert(item.text).second) {
      return fail_at(item, index_path(path, i), "duplicate entry " + quote(item.text));
    }
    Node value;
    value.pos = item.pos;
    if (depends) {
      value = make_map(item.pos);
      value.set(make_scalar("condition", item.pos), make_scalar("service_started", item.pos));
    }
    m.entries.push_back(Entry{item, std::move(value)});
  }
  n = std::move(m);
  return {};
}

Result<void> canonicalize_service(Node& svc, const std::string& path) {
  if (!svc.is_map()) return {};
  for (auto& e : svc.entries) {
    const std::string& k = e.key.text;
    std::string p = join_path(path, k);
    if (k == "environment" || k == "labels" || k == "sysctls" || k == "annotations") {
      STACK_TRY(list_to_map(e.value, p));
    } else if (k == "depends_on") {
      STACK_TRY(names_to_map(e.value, p, true));
    } else if (k == "networks") {
      STACK_TRY(names_to_map(e.value, p, false));
    } else if (k == "deploy" && e.value.is_map()) {
      if (Node* labels = e.value.find("labels")) STACK_TRY(list_to_map(*labels, join_path(p, "labels")));
    }
  }
  return {};
}

// Merges the entries of mapping `over` into mapping `base`: new keys are appended, a key in
// both goes to `both(key, base_value, over_value)`. Indexed, so that large mappings merge
// in linear time.
template <typename F>
void merge_mapping(Node& base, const Node& over, F&& both) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < base.entries.size(); ++i) index.emplace(base.entries[i].key.text, i);
  for (const auto& e : over.entries) {
    auto [it, fresh] = index.emplace(e.key.text, base.entries.size());
    if (fresh) {
      base.entries.push_back(e);
    } else if (base.entries[it->second].value.is_null()) {
      base.entries[it->second].value = e.value;
    } else {
      both(e.key.text, base.entries[it->second].value, e.value);
    }
  }
}

void replace(const std::string&, Node& base, const Node& over) { base = over; }

// A node's content as text, for "append without duplicates".
void fingerprint(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::Null: out += "~"; break;
    case Node::Kind::Scalar: out += "s" + std::to_string(n.text.size()) + ":" + n.text; break;
    case Node::Kind::Sequence:
      out += "[";
      for (const auto& i : n.items) fingerprint(i, out);
      out += "]";
      break;
    case Node::Kind::Mapping:
      out += "{";
      for (const auto& e : n.entries) {
        fingerprint(e.key, out);
        fingerprint(e.value, out);
      }
      out += "}";
      break;
  }
}

std::string fingerprint(const Node& n) {
  std::string s;
  fingerprint(n, s);
  return s;
}

void append_unique(Node& base, const Node& over) {
  std::set<std::string> seen;
  for (const auto& i : base.items) seen.insert(fingerprint(i));
  for (const auto& i : over.items) {
    if (seen.insert(fingerprint(i)).second) base.items.push_back(i);
  }
}

void merge_volumes(Node& base, const Node& over) {
  std::unordered_map<std::string, size_t> by_target;
  for (size_t i = 0; i < base.items.size(); ++i) by_target.emplace(volume_target(base.items[i]), i);
  for (const auto& v : over.items) {
    std::string target = volume_target(v);
    auto it = by_target.find(target);
    if (!target.empty() && it != by_target.end()) {
      base.items[it->second] = v;
    } else {
      by_target.emplace(target, base.items.size());
      base.items.push_back(v);
    }
  }
}

void merge_deep(Node& base, const Node& over);

void merge_service_key(const std::string& k, Node& base, const Node& over) {
  if (k == "command" || k == "entrypoint") {
    base = over;
  } else if (base.is_seq() && over.is_seq()) {
    if (k == "volumes") {
      merge_volumes(base, over);
    } else {
      append_unique(base, over);
    }
  } else if (base.is_map() && over.is_map()) {
    const Node* bd = base.find("driver");
    const Node* od = over.find("driver");
    if (k == "healthcheck" || k == "ulimits") {
      // healthcheck.test and each ulimit replace as a whole.
      merge_mapping(base, over, replace);
    } else if (k == "logging" && bd && od && bd->text != od->text) {
      base = over;  // a different driver brings its own options (compose-go mergeLogging)
    } else {
      merge_deep(base, over);
    }
  } else {
    base = over;
  }
}

void merge_service(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  merge_mapping(base, over, merge_service_key);
}

void merge_deep(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    base = over;
    return;
  }
  merge_mapping(base, over, [](const std::string&, Node& b, const Node& o) { merge_deep(b, o); });
}

}  // namespace

Result<void> canonicalize(Node& root) {
  if (!root.is_map()) return {};
  for (const char* top : {"networks", "volumes"}) {
    Node* section = root.find(top);
    if (!section || !section->is_map()) continue;
    for (auto& e : section->entries) {
      if (!e.value.is_map()) continue;
      if (Node* labels = e.value.find("labels")) {
        STACK_TRY(list_to_map(*labels, join_path(join_path(top, e.key.text), "labels")));
      }
    }
  }
  Node* services = root.find("services");
  if (!services || !services->is_map()) return {};
  for (auto& e : services->entries) {
    STACK_TRY(canonicalize_service(e.value, join_path("services", e.key.text)));
  }
  return {};
}

void merge_files(Node& base, const Node& over) {
  if (!base.is_map() || !over.is_map()) {
    if (!over.is_null()) base = over;
    return;
  }
  merge_mapping(base, over, [](const std::string& key, Node& b, const Node& o) {
    if (key == "services" && b.is_map() && o.is_map()) {
      merge_mapping(b, o, [](const std::string&, Node& bs, const Node& os) { merge_service(bs, os); });
    } else {
      merge_deep(b, o);
    }
  });
}

std::string volume_target(const Node& entry) {
  if (entry.is_map()) {
    const Node* t = entry.find("target");
    return t && t->is_scalar() ? t->text : "";
  }
  if (!entry.is_scalar()) return "";
  const std::string& s = entry.text;
  auto first = s.find(':');
  if (first == std::string::npos) return s;
  auto second = s.find(':', first + 1);
  return s.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

}  // namespace stack::model
