#pragma once
// A service's blkio_config as cgroup limits: each device path must name a block device
// on this host (stat(2) st_rdev gives the major:minor the kernel wants), as Docker
// requires; anything else is an error naming the service, the key and the path.
#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/model/project.hpp"

namespace stack::cli {

Result<cgroup::BlkioLimits> blkio_limits(const model::Service& s);

}  // namespace stack::cli
