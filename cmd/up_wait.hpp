#pragma once
// `up --wait`: after the start, polls the supervisor's `ps` until every container is
// running and healthy (or running without a healthcheck), or exited 0, printing
// compose's plain progress line for each (" ✔ Container demo-db-1  Healthy"). Exit 1
// naming the container when one turns unhealthy, exits non-zero or is dead, or when
// the deadline passes first ("application not healthy after 30s").
#include <chrono>

#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

int wait_ready(supervisor::ControlClient& client, std::chrono::steady_clock::time_point deadline, int timeout_s);

}  // namespace stack::cli
