#pragma once
// A service of the stack file plus its image's config -> the runtime's Spec (the
// compose front end to engine/runtime). `stack run` uses it; the supervisor can too.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/image/store.hpp"
#include "engine/model/project.hpp"
#include "engine/runtime/spec.hpp"
#include "engine/state/journal.hpp"

namespace stack::cli {

// What `stack run` may override on the command line.
struct RunOverrides {
  std::vector<std::string> command;                // CMD... (empty: the service's / image's)
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint
  std::vector<std::string> env;                    // -e K=V, in order
  std::string user;                                // -u
  std::string working_dir;                         // -w
  std::string hostname;  // when the service sets none (a one-off run: its 12 hex characters)
};

struct ServiceSpec {
  engine::runtime::Spec spec;
  std::vector<std::string> anonymous_volumes;  // host dirs made for this run, to remove after
};

// state_root: --root (named volumes live in <root>/volumes/<name>). Resource limits are
// run_cgroup.hpp's. userns_mode auto leases a host id range for container_id from the
// root's pool (userns_pool.hpp) and keeps it across calls for the same container; with a
// journal, a "userns" record is added before the first lease (its undo releases it);
// without one the caller releases it (release_userns_range).
Result<ServiceSpec> service_spec(const model::Project& project, const model::Service& service,
                                 const image::Image& image, const RunOverrides& o, const std::string& state_root,
                                 const std::string& container_id, state::Journal* journal = nullptr);

}  // namespace stack::cli
