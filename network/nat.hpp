#pragma once
// Outbound NAT and isolation for a stack's networks through nftables (nft(8)): one
// table per stack, named for it (nat_table_name), replaced as a whole in one nft
// transaction and deleted with the stack. Runs the `nft` command from Debian's
// nftables package, so the build needs no libnftables; every call blocks until nft
// exits (the supervisor runs it on a thread of its own, not on the loop).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "network/ipam_cidr.hpp"

namespace stack::net {

class Netns;

struct NatNetwork {
  std::string bridge;     // bridge_name(project, network)
  Cidr subnet;            // its subnet
  Ipv4 gateway;           // the bridge's address
  bool internal = false;  // internal: true: no traffic in or out except to the gateway
};

struct NatConfig {
  std::string table;  // nat_table_name(project)
  std::vector<NatNetwork> networks;
};

// The script that replaces the table (pure, unit tested):
// - postrouting: masquerade what comes from a non-internal subnet and leaves through
//   an interface that is not a stack bridge;
// - forward: nothing passes between one of our bridges and any other stack bridge
//   ("sb-*", this stack's other networks included); an internal bridge talks to no
//   other interface at all;
// - input: the gateway addresses take nothing from other stack bridges, so a container
//   cannot reach another stack's bridge (nor its name server).
std::string nat_script(const NatConfig& config);

struct NatOutcome {
  bool applied = false;
  std::string warning;  // why the rules could not be set up, when applied is false
};

// Installs the table in `ns` (nullptr: the caller's netns). nft missing or failing is
// a warning in the outcome, not an error: containers still run, without outbound NAT
// or isolation rules. Errors are reserved for our own failures (pipes, fork).
Result<NatOutcome> apply_nat(const NatConfig& config, const Netns* ns = nullptr);
// The same with a given nft binary (tests use it to see the warning paths).
Result<NatOutcome> apply_nat_using(const std::string& nft, const NatConfig& config, const Netns* ns = nullptr);
// Teardown: false if the table was already gone (or nft is not installed, so it can
// never have been made).
Result<bool> delete_nat_table(std::string_view table, const Netns* ns = nullptr);
// Whether the table exists (false when nft is not installed).
Result<bool> nat_table_exists(std::string_view table, const Netns* ns = nullptr);

// Sets net.ipv4.ip_forward to 1 in `ns` (nullptr: the caller's netns) unless it already
// is; true if this call changed it. The caller logs the change and leaves it on at
// teardown: other users of the host may rely on it by then.
Result<bool> enable_ip_forward(const Netns* ns = nullptr);
Result<bool> ip_forward_enabled(const Netns* ns = nullptr);

}  // namespace stack::net
