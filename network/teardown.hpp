#pragma once
// Undo operations for the teardown journal (engine/state/journal.hpp, style.md rule
// 7): one function per kind of record, each taking only the names the record holds,
// so a journal can replay them after a crash with no other state. Each works in the
// caller's netns (the host), opens what it needs itself, and returns false when the
// object was already gone: replaying twice is harmless.
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::net {

// Record "bridge <name>" before create_bridge/ensure_bridge.
Result<bool> teardown_bridge(std::string_view bridge);
// Record "veth <host end>" before attach_veth. The end inside the container dies with
// the pair; when the container's netns died first the pair is already gone (false).
Result<bool> teardown_veth(std::string_view host_name);
// Record "nft <table>" before apply_nat. false also when nft is not installed.
Result<bool> teardown_nat_table(std::string_view table);
// Record "ipam-address <state_dir> <network> <container>" after reserve_address and
// "ipam-subnet <state_dir> <network>" after reserve_subnet (the ledger is the record
// of the lease itself; these free it when the container or network goes).
Result<bool> teardown_address(const std::string& state_dir, std::string_view network, std::string_view container);
Result<bool> teardown_subnet(const std::string& state_dir, std::string_view network);

}  // namespace stack::net
