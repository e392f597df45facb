#pragma once
// A container's network, by its service's network_mode (docs/networking.md):
//   ""            a member of StackNetworks: eth0... on its networks, /etc/hosts with the
//                 members it shares a network with, the name server of eth0's network;
//   none          its own netns with only lo (up);
//   host          the host's netns (the runtime does not unshare it), the host's resolvers;
//   service:NAME  the netns of NAME's first container, and that container's /etc/hosts
//                 and /etc/resolv.conf.
// Plus, for all: extra_hosts' host-gateway, dns_search, dns_opt, domainname.
#include <sys/types.h>

#include <functional>
#include <string>

#include "cmd/up_networks.hpp"
#include "engine/model/project.hpp"
#include "engine/runtime/spec.hpp"
#include "engine/state/journal.hpp"

namespace stack::cli {

struct NetworkContext {
  StackNetworks* networks = nullptr;  // null when no service is on a network
  std::string root;                   // --root: where containers' /etc files live
  std::function<pid_t(const std::string& service)> running_pid;  // 0: none runs
  state::Journal* journal = nullptr;
  bool service_names = true;  // MemberOptions::service_names (false: a one-off run)
};

// Before Container::create: namespaces and /etc files of the spec.
Result<void> network_spec(engine::runtime::Spec& spec, const model::Service& s, const std::string& container,
                          const NetworkContext& ctx);
// After create, before start: the links of the new netns.
Result<void> network_attach(const model::Service& s, const std::string& container, pid_t pid,
                            const NetworkContext& ctx);

}  // namespace stack::cli
