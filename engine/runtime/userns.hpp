#pragma once
// User namespaces (user_namespaces(7)), parent side: checking a Spec's id mappings,
// writing them for the waiting child, and a throwaway user namespace with the same
// mappings whose fd makes idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP) before the
// container exists. Root in the initial namespace may write any mapping, so
// /proc/<pid>/setgroups stays "allow" and the container's root can set its groups.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/runtime/plan.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// True if the spec asks for a new user namespace.
bool wants_userns(const Spec& spec);

// Refuses what cannot work: mappings without a new user namespace (or the reverse), no
// mapping for container id 0, overlapping or empty ranges, more than uid_map takes (340
// lines), joining namespaces by path (setns(2) needs CAP_SYS_ADMIN in the namespace's
// owner, which the container's root lacks).
Result<void> check_userns(const Spec& spec);

// "0 100000 65536\n" per mapping: the uid_map/gid_map format.
std::string format_id_map(const std::vector<IdMap>& maps);

// The host id container id `id` maps to, if it is mapped.
std::optional<uint32_t> host_id(const std::vector<IdMap>& maps, uint32_t id);

// Writes /proc/<pid>/uid_map and gid_map (the child waits for go meanwhile).
Result<void> write_id_maps(pid_t pid, const std::vector<IdMap>& uids, const std::vector<IdMap>& gids);

// An fd of a new user namespace with these mappings, held by a short-lived helper process
// that is reaped before this returns (the namespace lives on while the fd is open).
Result<UniqueFd> make_userns_fd(const std::vector<IdMap>& uids, const std::vector<IdMap>& gids);

// The container's root has no say over the host's dirs on the way to a bind source
// (owned by host root, often 0700): the launcher makes a detached copy of each source
// (open_tree(2) OPEN_TREE_CLONE) that the child moves onto its target (move_mount(2)).
// Sets each bind op's source_fd; the fds must stay open until the child runs.
Result<std::vector<UniqueFd>> open_mount_sources(ChildPlan& plan);

}  // namespace stack::engine::runtime
