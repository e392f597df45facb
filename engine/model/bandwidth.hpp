#pragma once
// x-bandwidth: a service's link limits, read from the stack file (service_bandwidth.cpp)
// in tc's units (tc_units.hpp) and kept as numbers in Service::bandwidth and, per
// network, ServiceNetwork::bandwidth. docker compose ignores the key (an `x-` extension).
#include <string>

#include <nlohmann/json.hpp>

#include "engine/model/project.hpp"

namespace stack::model {

// The limit of s's link on `network` (a key of s.networks): that entry's x-bandwidth if
// it has one (the whole value: `x-bandwidth: {}` there lifts the service's limit on
// that network), else the service's. Empty: no limit.
Bandwidth bandwidth_on(const Service& s, const std::string& network);

// The normalised form `stack config` prints: rates in bits per second with the unit,
// the burst in bytes: {"burst": "32768b", "egress": "10000000bit"}. Parses back the same.
nlohmann::json bandwidth_json(const Bandwidth& bw);

}  // namespace stack::model
