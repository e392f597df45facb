#pragma once
// Variable interpolation with compose's rules (compose-go template package):
// ${V}, $V, ${V:-d}, ${V-d}, ${V:?err}, ${V?err}, ${V:+r}, ${V+r}, nesting inside the
// default/replacement, and $$ as an escaped $. Errors carry no position: the caller
// knows which YAML scalar it interpolated and prefixes file:line:col and the key path.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::model {

// Returns the variable's value, or nullopt when it is unset (set-but-empty is "").
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

Result<std::string> interpolate(std::string_view text, const Lookup& lookup);
// The same; also appends to *unset_names each plain $V / ${V} that was unset (compose
// warns "The \"V\" variable is not set. Defaulting to a blank string.").
Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::vector<std::string>* unset_names);

}  // namespace stack::model
