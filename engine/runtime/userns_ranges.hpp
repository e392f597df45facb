#pragma once
// The ledger of host id ranges leased to containers with a user namespace of their own
// (userns_mode: auto), as plain data: parsing, formatting and every allocation decision
// are pure functions (unit tested); userns_pool.hpp adds the file, the lock and the
// host's pool. A lease belongs to an owner (a container name, unique under a --root) and
// outlives the owner's restarts; it ends when the owner is torn down.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::engine::runtime {

struct IdRange {
  uint32_t start = 0;
  uint32_t size = 0;
  uint64_t end() const { return uint64_t{start} + size; }
  bool overlaps(const IdRange& o) const { return start < o.end() && o.start < end(); }
  bool operator==(const IdRange&) const = default;
};

struct RangeLease {
  std::string owner;
  uint32_t uid = 0;  // first host uid; container uid 0 maps onto it
  uint32_t gid = 0;  // first host gid
  uint32_t size = 0;
  bool operator==(const RangeLease&) const = default;
};

struct RangeLedger {
  std::vector<RangeLease> leases;
  bool operator==(const RangeLedger&) const = default;
};

// Where leases come from: host uid and gid ranges (/etc/subuid and /etc/subgid style).
struct RangePool {
  std::vector<IdRange> uids, gids;
};

// systemd's range for container ids (524288 to 1879048191, docs UIDS-GIDS.md, the one
// systemd-nspawn --private-users=pick takes from), for uids and gids alike.
RangePool default_range_pool();

// The ranges of `user` in /etc/subuid or /etc/subgid text ("name:start:count" lines;
// '#' comments). Empty if the user has none; a malformed line of that user is an error.
Result<std::vector<IdRange>> parse_subid(std::string_view text, std::string_view user, std::string_view file);

// Text form: a header, then "lease OWNER UID GID SIZE" per line.
Result<RangeLedger> parse_range_ledger(std::string_view text);
std::string format_range_ledger(const RangeLedger& ledger);

const RangeLease* find_lease(const RangeLedger& ledger, std::string_view owner);
// Gives `owner` `size` host uids and gids: the lease it holds if it has that size (a
// restarted container keeps its ids), else the lowest free range of each pool that
// overlaps no other lease.
Result<RangeLease> lease_range(RangeLedger& ledger, const RangePool& pool, std::string_view owner, uint32_t size);
// true if the owner held a lease.
bool release_range(RangeLedger& ledger, std::string_view owner);

}  // namespace stack::engine::runtime
