#include "engine/model/tree_interpolate.hpp"

namespace stack::model {
namespace {

// Depth is bounded by parse_yaml's nesting limit, so recursion is safe here.
Result<void> walk(Node& n, const Lookup& lookup, const std::string& path, std::vector<std::string>* unset) {
  switch (n.kind) {
    case Node::Kind::Null:
      return {};
    case Node::Kind::Scalar: {
      if (n.text.find('$') == std::string::npos) return {};
      auto v = interpolate(n.text, lookup, unset);
      if (!v) return fail_at(n, path, v.error().message);
      n.text = std::move(*v);
      return {};
    }
    case Node::Kind::Sequence:
      for (size_t i = 0; i < n.items.size(); ++i) {
        STACK_TRY(walk(n.items[i], lookup, index_path(path, i), unset));
      }
      return {};
    case Node::Kind::Mapping:
      for (auto& e : n.entries) STACK_TRY(walk(e.value, lookup, join_path(path, e.key.text), unset));
      return {};
  }
  return {};
}

}  // namespace

Result<void> interpolate_tree(Node& root, const Lookup& lookup, std::vector<std::string>* unset_names) {
  return walk(root, lookup, "", unset_names);
}

}  // namespace stack::model
