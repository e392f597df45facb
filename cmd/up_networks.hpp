#pragma once
// The stack's networks while it runs (docs/networking.md, "What up makes"): every network
// a service is on gets a subnet from the host's IPAM ledger (<root>/network), a bridge
// (external ones are joined, never made), a name server on its gateway and a place in
// the stack's nftables table (masquerade out, isolation from other stacks).
//
// Membership is dynamic, for scaling and recreation:
//   join(c)   leases c's address on each network of its service (kept across restarts),
//             publishes its names in those networks' name servers and in the /etc/hosts
//             of every member that shares a network with it;
//   attach(c, pid)  a veth per network into pid's netns: eth0, eth1... in priority
//             order; call between Container::create and start, on every (re)start;
//   leave(c)  the reverse of both: names gone, veths deleted, addresses released.
// Every kernel object and lease is in the stack's journal before it is made; leave
// marks the records of what it undid as done.
#include <sys/types.h>
#include <uv.h>

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cmd/up_net_plan.hpp"
#include "engine/state/journal.hpp"
#include "network/dns_server.hpp"
#include "network/nat.hpp"
#include "network/netns.hpp"
#include "network/netlink.hpp"

namespace stack::cli {

// What a member brings besides its service's networks.
struct MemberOptions {
  std::vector<std::string> self_names;  // the container's hostname (and FQDN first, if any)
  std::string hosts_base;               // localhost lines and extra_hosts of its /etc/hosts
  std::string hosts_file;               // its /etc/hosts on the host, rewritten in place ("": none yet)
  std::vector<std::string> dns;         // its `dns:` servers: its unknown names go there
  // false: known by its container name only, not by its service's name and aliases
  // (compose's one-off `run` without --use-aliases).
  bool service_names = true;
};

// A container sees its /etc files through bind mounts of these very inodes, so they are
// rewritten in place, not replaced (a rename would leave the mount on the old one). A
// file that is gone (its container was removed) is no error.
Result<void> rewrite_in_place(const std::string& path, const std::string& text);

class StackNetworks {
 public:
  // Starts one `nft` run on a thread of its own (the stack's table: outbound NAT and
  // isolation); no container may start before the isolation rules exist, so attach()
  // waits for it, as does the destructor (the journal's replay deletes the table).
  static Result<std::unique_ptr<StackNetworks>> make(uv_loop_t* loop, const std::string& root,
                                                     const model::Project& project, state::Journal& journal);
  StackNetworks(const StackNetworks&) = delete;
  StackNetworks& operator=(const StackNetworks&) = delete;
  ~StackNetworks();

  // Whether a service is attached to networks (network_mode "" ).
  bool networked(const std::string& service) const { return plan_.services.count(service) != 0; }
  // Idempotent: a member joining again keeps its addresses and takes the new options.
  Result<void> join(const std::string& container, const std::string& service, MemberOptions options,
                    state::Journal& journal);
  // (container, service) pairs.
  using Joining = std::pair<std::string, std::string>;
  // join(c, s, {}) for each, the new members' addresses leased at once (the first
  // containers of a stack: one ledger write instead of one per container).
  Result<void> join_all(const std::vector<Joining>& joining, state::Journal& journal);
  Result<void> attach(const std::string& container, pid_t pid, state::Journal& journal);
  // The same into a netns passed as a handle (a one-off `stack run` sends its container's).
  Result<void> attach(const std::string& container, const net::Netns& ns, state::Journal& journal);
  // A later `up` (recreate/apply), in two steps. check: a network whose definition
  // changed (name, subnet, gateway, internal, external) is refused, nothing changed.
  // extend: before anything stops, the networks of project the stack has not made yet
  // are made (bridge, subnet, name server; the NAT table is replaced to include them),
  // so that recreated containers can join them. adopt: the services of project on this
  // stack's networks. Members keep their links until they leave; a network no service
  // uses any more stays until down.
  Result<void> check(const model::Project& project) const;
  Result<void> extend(const model::Project& project, state::Journal& journal);
  Result<void> adopt(const model::Project& project);
  // A container that is not a member is a no-op. Its veths are deleted on the loop's
  // thread pool (reaping()); an error of that is told on stderr.
  Result<void> leave(const std::string& container, state::Journal& journal);

  // The veths leave() has queued for deletion. A delete waits out RCU grace periods
  // (~20 ms here, in the kernel's netdev teardown): on the loop, that stalled every
  // service's logs and the next `stack run`'s join behind each container that left.
  // Shared, so that the supervisor can wait for them after this object is gone (a
  // loop does not close with work queued); networks_alive false: the journal was
  // replayed, a finished delete leaves its records alone.
  struct Reaping {
    int in_flight = 0;
    bool networks_alive = true;
  };
  std::shared_ptr<const Reaping> reaping() const { return reaping_; }

  // The member's /etc/hosts: its base, itself, then every member it shares a network with.
  std::string hosts(const std::string& container) const;
  // nameserver <gateway of eth0's network>, with the service's dns_search and dns_opt.
  std::string resolv_conf(const std::string& container, const std::vector<std::string>& search,
                          const std::vector<std::string>& options) const;
  // The address on eth0's network (published ports go there); nullopt: not a member.
  std::optional<net::Ipv4> address(const std::string& container) const;
  // The gateway of eth0's network (extra_hosts' host-gateway).
  std::optional<net::Ipv4> gateway(const std::string& container) const;
  // (network key, host end of its veth) per network, in interface order.
  std::vector<std::pair<std::string, std::string>> links_of(const std::string& container) const;
  // The host ends of its veths, one per network (their counters are its NET I/O).
  std::vector<std::string> host_veths(const std::string& container) const;
  const std::vector<std::string>& notes() const { return plan_.notes; }

 private:
  struct Net {
    NetDef def;
    net::Cidr subnet;
    net::Ipv4 gateway;
    std::unique_ptr<net::dns::Server> dns;  // none on external networks (their stack's)
  };
  struct Link {
    std::size_t net;  // index in nets_
    std::vector<std::string> aliases;
    net::Ipv4 ip;
    uint64_t address_record = 0;
    std::vector<uint64_t> veth_records;
  };
  struct Member {
    std::string service;
    std::vector<Link> links;  // in interface order
    MemberOptions options;
  };
  struct VethDrop {
    int ifindex = 0;
    std::string name;
    std::vector<uint64_t> records;  // journal records the delete completes
    std::string error;              // set by the pool thread
  };
  StackNetworks(uv_loop_t* loop, std::string state_dir, NetPlan plan, net::Netlink nl)
      : loop_(loop), state_dir_(std::move(state_dir)), plan_(std::move(plan)), nl_(std::move(nl)) {}
  Result<void> make_net(const NetDef& def, const std::vector<net::HostRoute>& routes, state::Journal& journal);
  Result<void> make_nat(const std::string& project, state::Journal& journal);
  Result<void> make_nets(const std::vector<NetDef>& defs, state::Journal& journal);
  // Members for containers that have not joined, their addresses leased under one
  // lock and one write of the IPAM ledger (all or none).
  Result<std::vector<Member>> lease(const std::vector<Joining>& joining, state::Journal& journal);
  std::vector<std::string> names_of(const std::string& container, const Member& m, const Link& l) const;
  void publish(const std::string& container);  // names and client views of container
  void refresh_views();                         // per-client tables of multi-network members
  void rewrite_hosts(const std::string& except);
  void reap(std::vector<VethDrop> drops, state::Journal& journal);
  // Ends the nft run make_nat started (wait false: only if it has ended): its warning
  // goes to stderr, its error (ours: pipes, fork) is returned. No run: nothing.
  Result<void> settle_nat(bool wait = true);

  uv_loop_t* loop_;
  std::string state_dir_;
  NetPlan plan_;
  std::string project_;
  net::Netlink nl_;
  std::vector<Net> nets_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> container_name_of_;  // service -> its container_name, if any
  std::vector<sockaddr_storage> upstreams_;
  std::shared_ptr<Reaping> reaping_ = std::make_shared<Reaping>();
  std::string nat_table_;  // the table of the run not settled yet
  std::future<Result<net::NatOutcome>> nat_done_;  // valid: a run not settled yet
  std::thread nat_run_;
};

}  // namespace stack::cli
