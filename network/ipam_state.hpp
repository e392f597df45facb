#pragma once
// The IPAM ledger as plain data: which network holds which subnet, which container
// holds which address. Parsing, formatting and every allocation decision are pure
// functions on it (unit tested); ipam.hpp adds the file, the lock and the host routes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "network/ipam_cidr.hpp"

namespace stack::net {

struct SubnetLease {
  std::string network;  // a key unique on the host, e.g. the bridge name
  Cidr subnet;          // network address, no host bits
  Ipv4 gateway;         // the bridge's address
  bool operator==(const SubnetLease&) const = default;
};

struct AddressLease {
  std::string network;
  std::string container;  // a key unique on the host, e.g. "<project>/<service>-<n>"
  Ipv4 address;
  bool operator==(const AddressLease&) const = default;
};

struct IpamState {
  std::string boot;  // the kernel's boot_id of the boot that wrote it ("" in older ledgers)
  std::vector<SubnetLease> subnets;
  std::vector<AddressLease> addresses;
  bool operator==(const IpamState&) const = default;
};

// Where subnets come from when a network names none: /24s cut from 10.89.0.0/16.
struct PoolConfig {
  Cidr pool{Ipv4{0x0a590000}, 16};
  int prefix = 24;
};

// A network's ipam.config: both optional; a gateway needs a subnet.
struct SubnetRequest {
  std::optional<Cidr> subnet;
  std::optional<Ipv4> gateway;
};

// One IPv4 route of the host's main table (link_route.hpp reads them via netlink).
struct HostRoute {
  Cidr destination;
  std::string device;
};

// Text form, one record a line: "boot BOOT_ID", "subnet NET CIDR GATEWAY",
// "address NET CONTAINER IP".
Result<IpamState> parse_ipam_state(std::string_view text);
std::string format_ipam_state(const IpamState& state);

// Gives `network` a subnet: the one it already holds, the requested one, or the next
// free one of the pool. Refuses a subnet that overlaps another network's lease or a
// host route (the default route and routes through `own_device`, the network's own
// bridge, do not count), naming both.
Result<SubnetLease> reserve_subnet(IpamState& state, const PoolConfig& pool, std::string_view network,
                                   const SubnetRequest& request, const std::vector<HostRoute>& routes,
                                   std::string_view own_device = {});
// Gives `container` an address on `network`: the one it already holds (a restarted
// container keeps its address), the wanted one (ipv4_address), or the lowest free one.
Result<Ipv4> reserve_address(IpamState& state, std::string_view network, std::string_view container,
                             std::optional<Ipv4> wanted = std::nullopt);
// true if something was released.
bool release_address(IpamState& state, std::string_view network, std::string_view container);
// Releases the subnet and every address on it.
bool release_subnet(IpamState& state, std::string_view network);

const SubnetLease* find_subnet(const IpamState& state, std::string_view network);

// The ledger as the boot `boot` (/proc/sys/kernel/random/boot_id) finds it. Every lease
// names a network or a container, none of which outlives a reboot, and after one no
// journal is left to release them (the run root is a tmpfs): a ledger another boot wrote
// is emptied, or its subnets would stay taken (and a network could never change its
// ipam.config) for good. A ledger that names no boot (written before it was kept, maybe
// by this boot's running stacks) keeps its leases. Then it names `boot`. true if any
// lease was dropped.
bool adopt_boot(IpamState& state, std::string_view boot);

}  // namespace stack::net
