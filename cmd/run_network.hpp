#pragma once
// `stack run`'s network, as docker compose run has it: the service's dependencies are
// started first, as `up -d` of them would (unless --no-deps); a container of the default
// network mode joins its service's networks through the stack's supervisor, which is
// started (with no service, only the project's networks) if none runs; network_mode
// none, host and service:NAME are as in up (service: takes NAME's running container
// from the supervisor). The supervisor and its networks stay after the run, until down.
#include <optional>
#include <string>

#include "cmd/registry.hpp"
#include "engine/model/project.hpp"
#include "engine/runtime/container.hpp"
#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

struct RunNetworkOptions {
  bool deps = true;          // not --no-deps
  bool use_aliases = false;  // --use-aliases: known by the service's name and aliases too
};

class RunNetwork {
 public:
  // Before Container::create: the dependencies, the supervisor, and the network part of
  // spec (namespaces and /etc files; a member's /etc files come at join()).
  static Result<RunNetwork> prepare(const Globals& g, const model::Project& p, const model::Service& s,
                                    const std::string& container, engine::runtime::Spec& spec,
                                    RunNetworkOptions o);
  // After create, before start: a member's veths and /etc files (nothing otherwise).
  Result<void> join(const engine::runtime::Container& c);

 private:
  RunNetwork() = default;
  std::optional<supervisor::ControlClient> client_;  // set for a member
  nlohmann::json params_;                             // run_join's, but for the fds
};

}  // namespace stack::cli
