#pragma once
// Whether block I/O weights can work: the blkio/io weight files exist whenever BFQ is
// built into the kernel, but a weight only acts on devices that BFQ (or the old CFQ)
// schedules (Documentation/block/bfq-iosched.rst); a device on "none" or mq-deadline
// ignores it. Parsers take text; the probes read /sys (a root argument for tests).
#include <string>
#include <string_view>

#include "engine/cgroup/requirements.hpp"

namespace stack::cgroup {

// The bracketed entry of a queue/scheduler file: "none mq-deadline kyber [bfq]" -> "bfq";
// "" if none is marked.
std::string active_scheduler(std::string_view text);

// r.devices (major:minor; a partition counts by its disk) all scheduled by BFQ or CFQ,
// or, none named, at least one block device of the host.
bool proportional_io_active(const Requirement& r, const std::string& sys);
// The same on this host's /sys (what the drivers pass to judge()).
inline bool host_proportional_io(const Requirement& r) { return proportional_io_active(r, "/sys"); }

}  // namespace stack::cgroup
