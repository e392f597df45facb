#pragma once
// Interpolation over a whole YAML tree, as compose does for each file before merging:
// every scalar value is interpolated, mapping keys are not.
#include "engine/model/interpolate.hpp"
#include "engine/model/yaml_tree.hpp"

namespace stack::model {

// Bounds the output, so that a few `$BIG` references cannot blow up memory: a scalar may
// grow by at most max_value bytes per '$', and all results together stay under `bytes`.
struct InterpolationBudget {
  size_t max_value = 0;       // the longest value any variable has
  size_t bytes = 64u << 20;   // left for all interpolated scalars
};

// Errors read "FILE:LINE:COL: key.path: <interpolate()'s reason>". Plain $V / ${V} that
// were unset are appended to *unset_names when it is given (compose warns about them).
Result<void> interpolate_tree(Node& root, const Lookup& lookup, InterpolationBudget& budget,
                              std::vector<std::string>* unset_names = nullptr);

}  // namespace stack::model
