#pragma once
// Host id ranges for containers with a user namespace of their own (userns_mode: auto),
// leased from a ledger shared by every stack of a --root: `<state_root>/userns/ranges`,
// changed only under an exclusive flock(2) of `<state_root>/userns/lock` and replaced
// atomically (design invariant 6), so two containers never share a range. The caller
// journals the lease before taking it and releases it at teardown (the undo of a
// "userns" record, cleanup.hpp).
//
// The pool: the ranges of the user "stack" in /etc/subuid and /etc/subgid when it has
// any (as Docker's userns-remap takes "dockremap"'s and podman "containers"'s), else
// systemd's container range (userns_ranges.hpp).
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "engine/runtime/userns_ranges.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

// /etc/subuid and /etc/subgid (the paths are parameters for tests): both must name the
// user or neither.
Result<RangePool> host_range_pool(const std::string& subuid = "/etc/subuid", const std::string& subgid = "/etc/subgid",
                                  std::string_view user = "stack");

class UsernsPool {
 public:
  UsernsPool(const std::string& state_root, RangePool pool);
  // The ledger's directory under a --root (what a "userns" journal record names).
  static std::string dir_of(const std::string& state_root) { return state_root + "/userns"; }

  Result<RangeLease> lease(std::string_view owner, uint32_t size);
  // The owner's lease, if it holds one (read under the lock).
  Result<std::optional<RangeLease>> held(std::string_view owner) const;
  Result<bool> release(std::string_view owner);

 private:
  std::string dir_;
  RangePool pool_;
};

// The ledger in `dir` without a pool: what teardown needs ("already gone" is success;
// a missing ledger is not made).
Result<bool> release_userns_range(const std::string& dir, std::string_view owner);

// A container's mappings for a lease: container ids 0..size-1 onto the leased host ids.
void set_id_maps(Spec& spec, const RangeLease& lease);

}  // namespace stack::engine::runtime
