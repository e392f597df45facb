#pragma once
// The containers of `stack run`, found again by `down` (compose's down removes one-off
// containers too, and a `stack run` killed with SIGKILL leaves its container running):
// run marks each container dir with its project, its cgroup and its own pid.
#include <string>
#include <vector>

#include "cmd/run_cgroup.hpp"
#include "engine/base/result.hpp"

namespace stack::cli {

// Writes <root>/one-off/<id>.json: {"project", "cgroup" (the group's path under its base),
// "cgroup_parent"? (its parent's spec), "cgroup_parent_made"? ({"parent", "rel"}: the
// parent's groups the run made, a "cgroup_parent" journal record), "pid", "start"} (the
// `stack run` process, told apart from a reused pid by its start time). Outside the
// container's dir, whose removal knows only what its journal made. Written before the
// group and the container are made, so a SIGKILL at any later point leaves a mark.
Result<void> mark_one_off(const std::string& root, const std::string& id, const std::string& project,
                          const RunCgroupPlace& cgroup);
// The run removed its container and its group: the mark goes (a mark left behind names a
// container that is gone, which remove_one_offs then only forgets).
void unmark_one_off(const std::string& root, const std::string& id);

// The project's one-off containers under <root>/containers: one whose `stack run` still
// runs is stopped (its cgroup killed) and that run removes it, as it does after any exit;
// one whose `stack run` is gone is removed here, from its journal, with its cgroup.
// Returns the container names handled.
Result<std::vector<std::string>> remove_one_offs(const std::string& root, const std::string& project);

}  // namespace stack::cli
