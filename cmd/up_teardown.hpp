#pragma once
// Undo of everything a stack made, from its teardown journal (design.md invariant 1).
// The supervisor runs it at the end of `down`; `down` runs it itself when the
// supervisor is dead (kill -9), so it depends on nothing but the files.
//
// Stack journal kinds, besides the runtime's own (engine/runtime/cleanup.hpp):
//   "container" {"dir": path}   a runtime container dir: remove_container_dir (its own
//                               journal kills the process and unmounts)
//   "cgroup"    {"rel": path, "parent"?: spec}   a group under the default base or the
//                               parent (engine/cgroup/parent.hpp): thaw, kill_all, remove,
//                               and its parent group (stack/ for a project's) if empty
//   "cgroup_parent" {"parent": spec, "rel": path}   groups made for a configured parent
//                               below `parent`: each removed only when empty
//   "subnet"    {"state_dir", "network"}, "address" {"state_dir", "network", "container"}:
//                               IPAM leases; "bridge" {"name"}, "veth" {"name"}: links;
//   "nft"       {"table"}       the stack's nftables table (NAT and isolation)
#include <map>
#include <string>

#include "engine/base/result.hpp"
#include "engine/state/journal.hpp"
#include "engine/state/layout.hpp"

namespace stack::cli {

std::map<std::string, state::Undo> stack_undo_handlers();

// Replays the stack journal (if any) and removes it. Idempotent.
Result<void> replay_stack_journal(const state::Layout& layout);

// The container logs of the stack (compose's down removes containers and their logs).
Result<void> remove_stack_logs(const state::Layout& layout);

}  // namespace stack::cli
