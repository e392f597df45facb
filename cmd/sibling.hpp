#pragma once
// The helper programs installed next to the stack binary (stack-supervisor, stack-import):
// found through /proc/self/exe, so a build tree, /usr/bin and a copied pair all work.
#include <string>

#include "engine/base/result.hpp"

namespace stack::cli {

// <directory of this process's executable>/<name>; fails if /proc/self/exe is unreadable.
Result<std::string> sibling_program(const std::string& name);

}  // namespace stack::cli
