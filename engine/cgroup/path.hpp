#pragma once
// Relative cgroup paths: "stack/<project>/<service>-<n>" with every name escaped so it
// is one safe path component (no '/', no "." or "..", and no '.' at all, so that a
// name can never collide with a v1 control file such as "cpu.shares").
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::cgroup {

// Bytes outside [A-Za-z0-9_-] become "%XX" (upper-case hex); "" becomes "%".
std::string escape_name(std::string_view name);
// "stack/<project>"
std::string project_path(std::string_view project);
// "stack/<project>/<service>-<n>"
std::string cgroup_path(std::string_view project, std::string_view service, int n);
// A relative path the drivers accept: non-empty components, none "." or "..", no
// leading or trailing '/'. The drivers refuse anything else (it could escape the tree).
Result<void> check_relative(std::string_view rel);

}  // namespace stack::cgroup
