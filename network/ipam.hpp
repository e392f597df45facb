#pragma once
// IPAM over a ledger shared by every stack on the host: `<state_dir>/ipam.state`,
// changed only under an exclusive flock(2) of `<state_dir>/ipam.lock` and replaced
// atomically (design invariant 6), so two stacks never lease the same subnet and a
// restarted container keeps its address. The caller chooses state_dir (e.g.
// <root>/network) and reads the host routes (read_host_routes in link_route.hpp).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/file.hpp"
#include "engine/base/result.hpp"
#include "network/ipam_state.hpp"

namespace stack::net {

// One container's address on one network (reserve_addresses).
struct AddressWant {
  std::string network;
  std::string container;
  std::optional<Ipv4> wanted;
};

class Ipam {
 public:
  explicit Ipam(std::string state_dir, PoolConfig pool = {});

  Result<SubnetLease> reserve_subnet(std::string_view network, const SubnetRequest& request,
                                     const std::vector<HostRoute>& routes, std::string_view own_device = {});
  Result<Ipv4> reserve_address(std::string_view network, std::string_view container,
                               std::optional<Ipv4> wanted = std::nullopt);
  // Several at once, under one lock and one write of the ledger: all or none (the first
  // that cannot be had fails them all). An up of 30 made 30 ledger writes, one per
  // container, each a flock, a read, a write and a rename on the supervisor's loop.
  Result<std::vector<Ipv4>> reserve_addresses(const std::vector<AddressWant>& wants);
  Result<bool> release_address(std::string_view network, std::string_view container);
  Result<bool> release_subnet(std::string_view network);
  // The ledger as it is now (read under the lock).
  Result<IpamState> read() const;

  const std::string& state_path() const { return state_path_; }

 private:
  // Locks, reads, runs fn on the ledger, writes it back if fn changed it, unlocks.
  // Written without fsync (kProcessCrash): every lease names a network or a container
  // that no reboot leaves behind (a stack's subnet is released when its network is
  // removed), so a ledger that a power loss turns back or empties (an empty file reads
  // as an empty ledger) holds nothing the host still uses. One fsync per container cost
  // 3-7 ms of up and down; the subnet's, 0.5-1.3 ms of the serial start of every up
  // (perf, 2026-12-05).
  Result<void> update(const std::function<Result<void>(IpamState&)>& fn) const;

  std::string dir_;
  std::string state_path_;
  std::string lock_path_;
  PoolConfig pool_;
};

}  // namespace stack::net
