#include "network/ipam.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::net {

namespace {

// An exclusive flock(2) held for the owner's lifetime; closing the fd releases it.
Result<UniqueFd> lock_exclusive(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("failed to open IPAM lock '" + path + "'");
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno("failed to lock '" + path + "' (flock)");
  }
  return fd;
}

// This boot's id, read once: a valid boot line word (no space), or "" if unreadable.
const std::string& boot_id() {
  static const std::string id = [] {
    auto text = read_file("/proc/sys/kernel/random/boot_id");
    std::string s = text ? *text : std::string();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.find_first_of(" \t\n") == std::string::npos ? s : std::string();
  }();
  return id;
}

Result<IpamState> load(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return IpamState{};
    return fail_errno("failed to stat '" + path + "'");
  }
  auto text = read_file(path);
  if (!text) return unexpected(std::move(text).error());
  auto state = parse_ipam_state(*text);
  if (!state) return unexpected(state.error().wrap("in '" + path + "'"));
  return state;
}

}  // namespace

Ipam::Ipam(std::string state_dir, PoolConfig pool)
    : dir_(std::move(state_dir)), state_path_(dir_ + "/ipam.state"), lock_path_(dir_ + "/ipam.lock"), pool_(pool) {}

Result<void> Ipam::update(const std::function<Result<void>(IpamState&)>& fn) const {
  STACK_TRY_CTX(make_dirs(dir_, 0700), "IPAM state");
  auto lock = lock_exclusive(lock_path_);
  if (!lock) return unexpected(std::move(lock).error());
  auto state = load(state_path_);
  if (!state) return unexpected(std::move(state).error());
  IpamState before = *state;
  // Leases from before a reboot name nothing that still exists (ipam_state.hpp); naming
  // this boot alone is no change worth a write (a read of a missing ledger makes none).
  if (!boot_id().empty()) adopt_boot(*state, boot_id());
  before.boot = state->boot;
  STACK_TRY(fn(*state));
  if (*state == before) return {};
  STACK_TRY_CTX(write_file_atomic(state_path_, format_ipam_state(*state), 0600, Durability::kProcessCrash),
                "saving IPAM state");
  return {};
}

Result<SubnetLease> Ipam::reserve_subnet(std::string_view network, const SubnetRequest& request,
                                         const std::vector<HostRoute>& routes, std::string_view own_device) {
  std::optional<SubnetLease> out;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    auto lease = net::reserve_subnet(st, pool_, network, request, routes, own_device);
    if (!lease) return unexpected(std::move(lease).error());
    out = *lease;
    return {};
  }));
  return *out;
}

Result<Ipv4> Ipam::reserve_address(std::string_view network, std::string_view container, std::optional<Ipv4> wanted) {
  std::optional<Ipv4> out;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    auto a = net::reserve_address(st, network, container, wanted);
    if (!a) return unexpected(std::move(a).error());
    out = *a;
    return {};
  }));
  return *out;
}

Result<std::vector<Ipv4>> Ipam::reserve_addresses(const std::vector<AddressWant>& wants) {
  std::vector<Ipv4> out;
  if (wants.empty()) return out;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    out.clear();
    for (const auto& w : wants) {
      auto a = net::reserve_address(st, w.network, w.container, w.wanted);
      if (!a) return unexpected(std::move(a).error().wrap("network " + w.network + ": container " + w.container));
      out.push_back(*a);
    }
    return {};
  }));
  return out;
}

Result<bool> Ipam::release_address(std::string_view network, std::string_view container) {
  bool changed = false;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    changed = net::release_address(st, network, container);
    return {};
  }));
  return changed;
}

Result<bool> Ipam::release_subnet(std::string_view network) {
  bool changed = false;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    changed = net::release_subnet(st, network);
    return {};
  }));
  return changed;
}

Result<IpamState> Ipam::read() const {
  IpamState out;
  STACK_TRY(update([&](IpamState& st) -> Result<void> {
    out = st;
    return {};
  }));
  return out;
}

}  // namespace stack::net
