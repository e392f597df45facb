#pragma once
// What a second `up` changes in a running stack, decided from data only (design.md
// "Flow of one up", step 2): each service's config hash (compose's
// com.docker.compose.config-hash idea: the normalized service JSON without its replica
// count, plus the image id) against the hash each running container was made with.
// Containers of changed services are recreated, unchanged ones kept, missing replicas
// created, surplus ones removed (highest index first), and those of services gone from
// the file are orphans (removed only with --remove-orphans).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/model/project.hpp"

namespace stack::cli {

// The flags of `up` that shape the change (compose's names).
struct ApplyOptions {
  std::vector<std::string> services;           // up SERVICE...: those and their dependencies
  std::map<std::string, uint64_t> scale;       // --scale SERVICE=N
  bool force_recreate = false, no_recreate = false, remove_orphans = false;

  nlohmann::json to_json() const;
  static ApplyOptions from_json(const nlohmann::json& j);
};

// sha256 hex of the service's `config --format json` form without scale and
// deploy.replicas (a replica count change adds or removes containers, it does not
// recreate them) and without x-bandwidth (applied to the running container in place),
// followed by the image id; for every service named in image_ids (service -> image id),
// with the project's `config` form made once (it was made once per service: an up of 30
// serialized the whole project 30 times on the supervisor's loop before any start).
std::map<std::string, std::string> config_hashes(const model::Project& project,
                                                 const std::map<std::string, std::string>& image_ids);

struct Slot {
  std::string service;
  uint64_t index = 0;  // the n of <project>-<service>-<n>
  bool operator<(const Slot& o) const { return service != o.service ? service < o.service : index < o.index; }
};

struct ApplyPlan {
  std::vector<Slot> keep, recreate, create;
  std::vector<Slot> remove;   // surplus replicas of selected services, highest index first
  std::vector<Slot> orphans;  // services no longer in the file
};

struct Current {
  Slot slot;
  std::string hash;  // what the container was made with
  bool up = true;    // running or restarting; one that exited is made afresh, as compose starts it again
};

// selected: service -> wanted replica count (only services this `up` touches);
// hashes: the new hash of every service in the file.
ApplyPlan plan_apply(const std::vector<Current>& running, const std::map<std::string, uint64_t>& selected,
                     const std::map<std::string, std::string>& hashes, const ApplyOptions& o);

}  // namespace stack::cli
