#pragma once
// Design invariant 7: a limit the host cannot enforce is an error at `up` that names the
// limit and the reason. `up --ignore-unenforced-limits` (every service) or the service
// key `x-stack-ignore-unenforced-limits: true` downgrades it to a warning, and that one
// limit is then not written (the others still are).
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/model/project.hpp"

namespace stack::cli {

inline constexpr char kIgnoreUnenforcedKey[] = "x-stack-ignore-unenforced-limits";

// kWarn if ignore_all or the service's key is true; the key must be a boolean.
Result<cgroup::Enforcement> enforcement_of(const model::Service& s, bool ignore_all);

// The strict services' limits against this host before anything is made: the first one
// the host lacks is the error ("service db: memswap_limit: cannot be enforced on this
// host: ..."). Some lacks show only in a group of the stack's own (v1 files absent from
// the root group): the supervisor then fails that container with the same error. The
// warnings of downgraded services come from the supervisor, in `up`'s output.
Result<void> check_project_limits(const model::Project& p, bool ignore_all);

}  // namespace stack::cli
