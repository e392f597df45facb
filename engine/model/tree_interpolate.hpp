#pragma once
// Interpolation over a whole YAML tree, as compose does for each file before merging:
// every scalar value is interpolated, mapping keys are not.
#include "engine/model/interpolate.hpp"
#include "engine/model/yaml_tree.hpp"

namespace stack::model {

// Errors read "FILE:LINE:COL: key.path: <interpolate()'s reason>". Plain $V / ${V} that
// were unset are appended to *unset_names when it is given (compose warns about them).
Result<void> interpolate_tree(Node& root, const Lookup& lookup,
                              std::vector<std::string>* unset_names = nullptr);

}  // namespace stack::model
