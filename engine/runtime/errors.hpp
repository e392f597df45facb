#pragma once
// Rebuilds a readable error from the child's (step, index, errno) (style rule 6):
// "mounting proc on /proc in container: Operation not permitted",
// "exec: no such file: /usr/bin/nginx in image web:1".
#include <string>

#include "engine/base/result.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/sync.hpp"

namespace stack::engine::runtime {

Error describe_child_error(const SyncMessage& m, const ChildPlan& plan, const std::string& image);

}  // namespace stack::engine::runtime
