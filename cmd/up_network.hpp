#pragma once
// The stack's default network `<project>_default`: a subnet leased from the host's IPAM
// ledger (<root>/network), a bridge with the gateway address, one address per container
// (leased up front, so that every /etc/hosts names every container), and a veth into
// each container's netns, attached between Container::create and start(). Each object
// is in the stack's journal before it is made (undo: network/teardown.hpp).
// The name server on the gateway is the supervisor's (supervisor_stack.cpp). Not yet: published ports, NAT to the outside, user-defined networks.
#include <sys/types.h>

#include <map>
#include <string>

#include "engine/state/journal.hpp"
#include "network/ipam.hpp"
#include "network/netlink.hpp"

namespace stack::cli {

class StackNetwork {
 public:
  // containers: container name -> service name.
  static Result<StackNetwork> make(const std::string& root, const std::string& project,
                                   const std::map<std::string, std::string>& containers, state::Journal& journal);
  // "<ip>\t<service> <container>" per container, for /etc/hosts.
  std::string hosts() const;
  Result<void> attach(const std::string& container, pid_t pid, state::Journal& journal);
  // The host end of the container's veth (its counters are the container's NET I/O).
  std::string host_veth(const std::string& container) const;
  // A container added while the stack runs (a new service or replica): its address,
  // journaled before it is leased; an already leased one is returned as it is.
  Result<net::Ipv4> lease(const std::string& container, const std::string& service, state::Journal& journal);
  // A removed container's address goes back to the ledger (its journal record then
  // finds nothing to undo).
  Result<void> release(const std::string& container);
  net::Ipv4 gateway() const { return lease_.gateway; }
  // container -> (service, address)
  const std::map<std::string, std::pair<std::string, net::Ipv4>>& addresses() const { return addresses_; }

 private:
  StackNetwork(std::string state_dir, std::string network, net::Netlink nl)
      : state_dir_(std::move(state_dir)), network_(std::move(network)), nl_(std::move(nl)) {}
  std::string state_dir_, network_, bridge_;
  net::Netlink nl_;
  net::SubnetLease lease_;
  std::map<std::string, std::pair<std::string, net::Ipv4>> addresses_;  // container -> (service, ip)
};

}  // namespace stack::cli
