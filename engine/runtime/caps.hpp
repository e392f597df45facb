#pragma once
// Capability names and masks (capabilities(7)). Names are compose's and Docker's
// ("CHOWN", "CAP_CHOWN", case-insensitive, "ALL"); masks are (1 << CAP_*) as
// /proc/<pid>/status prints them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// The capability number for a name; an unknown name is an error naming it.
Result<int> cap_number(std::string_view name);
// "CAP_CHOWN" for 0; "CAP_<n>" for numbers libcap does not know.
std::string cap_name(int number);
// Every capability this libcap knows (bits 0..CAP_LAST_CAP).
uint64_t all_caps_mask();
// base, then cap_drop removed, then cap_add added (Docker's order: add wins; "ALL" works
// in both lists).
Result<uint64_t> adjust_caps(uint64_t base, const std::vector<std::string>& add,
                             const std::vector<std::string>& drop);
// A container's sets from one mask: bounding = permitted = effective = mask,
// inheritable and ambient empty (Docker's behaviour since 20.10).
CapSets caps_from_mask(uint64_t mask);
// Names of the bits set in mask, lowest first ("CAP_CHOWN", ...).
std::vector<std::string> cap_names(uint64_t mask);

}  // namespace stack::engine::runtime
