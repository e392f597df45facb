#pragma once
// Merging of -f files with compose's rules (compose-go override package):
// scalars replace; command, entrypoint and healthcheck.test replace; environment, labels,
// sysctls, depends_on, networks, ulimits merge by key; volumes merge by target; ports,
// expose, dns and the other lists append without duplicates; mappings merge deeply.
#include "engine/model/yaml_tree.hpp"

namespace stack::model {

// Rewrites a file's tree so that merging by key is possible: list forms of environment,
// labels, sysctls, annotations, deploy.labels, depends_on and networks become mappings
// (`- KEY=VALUE` -> `KEY: VALUE`, `- KEY` -> `KEY: null`, `- db` -> `db: {condition:
// service_started}`). Errors point at the offending item.
Result<void> canonicalize(Node& root);

// Merges the canonical tree `over` into `base`.
void merge_files(Node& base, const Node& over);

// The target of a volume entry (short or long syntax), "" if it has none.
std::string volume_target(const Node& entry);

}  // namespace stack::model
