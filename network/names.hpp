#pragma once
// Deterministic kernel object names. Linux interface names hold at most 15 bytes
// (IFNAMSIZ 16 with the NUL, include/uapi/linux/if.h); a name is derived from a hash of
// what it belongs to so that two stacks never collide and teardown can find the
// object again from the same plain values, without any state.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace stack::net {

inline constexpr std::size_t kIfNameMax = 15;
// Every bridge a stack makes starts with this; nft rules match "sb-*" to tell stack
// bridges from the host's other interfaces.
inline constexpr std::string_view kBridgePrefix = "sb-";
inline constexpr std::string_view kVethPrefix = "sv";
inline constexpr std::string_view kNatTablePrefix = "stack_";

// A 64-bit hash of the parts, each part delimited so ("ab","c") != ("a","bc").
std::uint64_t name_hash(std::initializer_list<std::string_view> parts);

// "sb-" + 12 hex digits of a hash of the network's full name: 15 bytes. The full name
// is what compose calls the network on the host: "<project>_<network>", or its `name:`
// (so an `external: true` network finds the bridge another stack made for that name).
std::string bridge_name(std::string_view full_name);
// bridge_name("<project>_<network>"), compose's default full name.
std::string bridge_name(std::string_view project, std::string_view network);
// "sv" + 13 hex digits of hash(container, network): 15 bytes. `container` is any key
// unique on the host for the container (e.g. "<project>/<service>-<n>"), `network`
// the network's full name or its bridge name (either, but always the same one).
std::string veth_name(std::string_view container, std::string_view network);
// The name inside the container: eth0, eth1, ... by the network's position.
std::string container_ifname(unsigned index);
// "stack_" + 12 hex digits of hash(project): the nftables table owned by the stack.
std::string nat_table_name(std::string_view project);

// True for names the kernel accepts for a link (dev_valid_name in net/core/dev.c):
// 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
bool valid_ifname(std::string_view name);

}  // namespace stack::net
