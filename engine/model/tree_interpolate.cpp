#include "engine/model/tree_interpolate.hpp"

#include <algorithm>

namespace stack::model {
namespace {

// Depth is bounded by parse_yaml's nesting limit, so recursion is safe here.
struct Walk {
  const Lookup& lookup;
  InterpolationBudget& budget;
  std::vector<std::string>* unset;
};

Result<void> walk(Node& n, Walk& w, const std::string& path) {
  switch (n.kind) {
    case Node::Kind::Null:
      return {};
    case Node::Kind::Scalar: {
      if (n.text.find('$') == std::string::npos) return {};
      size_t dollars = static_cast<size_t>(std::count(n.text.begin(), n.text.end(), '$'));
      if (n.text.size() + dollars * w.budget.max_value > w.budget.bytes) {
        return fail_at(n, path, "interpolated values would exceed the size budget");
      }
      auto v = interpolate(n.text, w.lookup, w.unset);
      if (!v) return fail_at(n, path, v.error().message);
      w.budget.bytes -= std::min(w.budget.bytes, v->size());
      n.text = std::move(*v);
      return {};
    }
    case Node::Kind::Sequence:
      for (size_t i = 0; i < n.items.size(); ++i) {
        STACK_TRY(walk(n.items[i], w, index_path(path, i)));
      }
      return {};
    case Node::Kind::Mapping:
      for (auto& e : n.entries) STACK_TRY(walk(e.value, w, join_path(path, e.key.text)));
      return {};
  }
  return {};
}

}  // namespace

Result<void> interpolate_tree(Node& root, const Lookup& lookup, InterpolationBudget& budget,
                              std::vector<std::string>* unset_names) {
  Walk w{lookup, budget, unset_names};
  return walk(root, w, "");
}

}  // namespace stack::model
