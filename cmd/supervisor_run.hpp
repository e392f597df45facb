#pragma once
// The supervisor's `run_join` control method: a one-off container of `stack run` (made
// by that command, not by the supervisor) joins its service's networks as up's
// containers do (docker compose run):
//
//   params {service, container, root (the run's --root, where its /etc files are),
//           hostname, hosts (the /etc/hosts base the run's spec has), aliases (bool:
//           --use-aliases)}
//   fds    [the pidfd of the container's process, its netns], sent after
//          Container::create and before start (the process waits for its go)
//   result {"address": "<ip on eth0's network>"} once its veths are in its netns and its
//          /etc/hosts and /etc/resolv.conf are rewritten in place; the run then starts it.
//
// It is known on its networks by its container name (compose's run registers no
// service alias unless --use-aliases), and every member's /etc/hosts names it. It
// leaves (names, veths, addresses) when its process exits, seen on the pidfd: also when
// its `stack run` died, once `down` kills the container. Leases and veths are in the
// stack's journal, so a down after kill -9 of the supervisor removes them too.
#include <list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cmd/up_networks.hpp"
#include "engine/model/project.hpp"
#include "engine/supervisor/pidfd_watch.hpp"

namespace stack::cli {

class RunMembers {
 public:
  RunMembers(uv_loop_t* loop, StackNetworks& networks, state::Journal& journal)
      : loop_(loop), networks_(networks), journal_(journal) {}
  // s: the service as the supervisor's project has it.
  Result<nlohmann::json> join(const model::Service& s, const nlohmann::json& params, std::vector<UniqueFd>& fds);
  std::size_t size() const { return members_.size(); }

 private:
  struct Member {
    std::string container;
    UvOwned<supervisor::PidfdWatch> watch;
  };
  Result<void> connect(const model::Service& s, const nlohmann::json& params, std::vector<UniqueFd>& fds,
                       std::list<Member>::iterator it);
  void exited(std::list<Member>::iterator it);

  uv_loop_t* loop_;
  StackNetworks& networks_;
  state::Journal& journal_;
  std::list<Member> members_;
};

}  // namespace stack::cli
