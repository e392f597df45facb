#include "engine/runtime/userns_pool.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <functional>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::engine::runtime {
namespace {

Result<std::vector<IdRange>> read_subid(const std::string& path, std::string_view user) {
  if (::access(path.c_str(), F_OK) != 0) {
    if (errno == ENOENT) return std::vector<IdRange>{};
    return fail_errno("reading " + path);
  }
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  return parse_subid(*text, user, path);
}

// Locks <dir>/lock, reads <dir>/ranges, runs fn, writes the ledger back if fn changed it.
Result<void> locked_update(const std::string& dir, const std::function<Result<void>(RangeLedger&)>& fn) {
  STACK_TRY_CTX(make_dirs(dir, 0700), "userns ledger");
  std::string lock_path = dir + "/lock", path = dir + "/ranges";
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock) return fail_errno("opening " + lock_path);
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) return fail_errno("locking " + lock_path + " (flock)");
  RangeLedger ledger;
  if (::access(path.c_str(), F_OK) == 0) {
    auto text = read_file(path);
    if (!text) return unexpected(text.error());
    auto parsed = parse_range_ledger(*text);
    if (!parsed) return unexpected(parsed.error().wrap("in " + path));
    ledger = std::move(*parsed);
  } else if (errno != ENOENT) {
    return fail_errno("reading " + path);
  }
  const RangeLedger before = ledger;
  STACK_TRY(fn(ledger));
  if (ledger == before) return {};
  // kDisk: the ids of volume files written by a container outlive a reboot, and so must
  // the record of whom they were leased to while its stack exists.
  STACK_TRY_CTX(write_file_atomic(path, format_range_ledger(ledger), 0600), "saving the userns ledger");
  return {};
}

}  // namespace

Result<RangePool> host_range_pool(const std::string& subuid, const std::string& subgid, std::string_view user) {
  auto uids = read_subid(subuid, user);
  if (!uids) return unexpected(uids.error());
  auto gids = read_subid(subgid, user);
  if (!gids) return unexpected(gids.error());
  if (uids->empty() && gids->empty()) return default_range_pool();
  if (uids->empty() || gids->empty())
    return fail(std::string(uids->empty() ? subgid : subuid) + " has ranges for user " + std::string(user) + " but " +
                (uids->empty() ? subuid : subgid) + " has none: give it both or neither");
  return RangePool{std::move(*uids), std::move(*gids)};
}

UsernsPool::UsernsPool(const std::string& state_root, RangePool pool) : dir_(dir_of(state_root)), pool_(std::move(pool)) {}

Result<RangeLease> UsernsPool::lease(std::string_view owner, uint32_t size) {
  RangeLease out;
  STACK_TRY(locked_update(dir_, [&](RangeLedger& l) -> Result<void> {
    auto r = lease_range(l, pool_, owner, size);
    if (!r) return unexpected(r.error());
    out = *r;
    return {};
  }));
  return out;
}

Result<std::optional<RangeLease>> UsernsPool::held(std::string_view owner) const {
  std::optional<RangeLease> out;
  STACK_TRY(locked_update(dir_, [&](RangeLedger& l) -> Result<void> {
    if (const RangeLease* r = find_lease(l, owner)) out = *r;
    return {};
  }));
  return out;
}

Result<bool> UsernsPool::release(std::string_view owner) { return release_userns_range(dir_, owner); }

Result<bool> release_userns_range(const std::string& dir, std::string_view owner) {
  if (::access(dir.c_str(), F_OK) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("reading " + dir);
  }
  bool released = false;
  STACK_TRY(locked_update(dir, [&](RangeLedger& l) -> Result<void> {
    released = release_range(l, owner);
    return {};
  }));
  return released;
}

void set_id_maps(Spec& spec, const RangeLease& lease) {
  if (!has_namespace(spec, NamespaceType::kUser)) spec.namespaces.push_back({NamespaceType::kUser, ""});
  spec.uid_mappings = {{0, lease.uid, lease.size}};
  spec.gid_mappings = {{0, lease.gid, lease.size}};
}

}  // namespace stack::engine::runtime
