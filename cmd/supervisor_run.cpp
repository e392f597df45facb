// RunMembers and StackSupervisor::run_join (supervisor_run.hpp).
#include "cmd/supervisor_run.hpp"

#include <cstdio>

#include "cmd/supervisor_stack.hpp"
#include "cmd/up_bandwidth.hpp"
#include "cmd/up_netmode.hpp"
#include "engine/runtime/rootfs.hpp"
#include "network/ipam_cidr.hpp"

namespace stack::cli {

namespace rt = engine::runtime;
namespace sv = supervisor;

Result<nlohmann::json> RunMembers::join(const model::Service& s, const nlohmann::json& params,
                                        std::vector<UniqueFd>& fds) {
  std::string container = params.value("container", "");
  STACK_TRY(state::check_container_name(container));
  if (fds.size() != 2) return fail("run_join wants the container's pidfd and its netns");
  if (!networks_.networked(s.name)) return fail("service " + s.name + " is on no network of the running stack");
  for (const auto& m : members_)
    if (m.container == container) return fail("container " + container + " has joined already");
  members_.push_back(Member{container, {}});
  auto it = std::prev(members_.end());
  if (auto c = connect(s, params, fds, it); !c) {
    (void)networks_.leave(container, journal_);
    members_.erase(it);
    return unexpected(c.error().wrap("container " + container + " joining the networks of service " + s.name));
  }
  auto ip = networks_.address(container);
  return nlohmann::json{{"address", ip ? net::format(*ip) : ""}};
}

// network_spec makes it a member (addresses leased, names published, the other members'
// /etc/hosts rewritten) and computes its own /etc files from the base the run sent.
Result<void> RunMembers::connect(const model::Service& s, const nlohmann::json& params, std::vector<UniqueFd>& fds,
                                 std::list<Member>::iterator it) {
  Member& m = *it;
  std::string root = params.value("root", "");
  if (root.empty() || root.front() != '/') return fail("run_join wants the run's --root as an absolute path");
  rt::Spec spec;
  spec.hostname = params.value("hostname", "");
  spec.etc.hosts = params.value("hosts", "");
  NetworkContext ctx{&networks_, root, nullptr, &journal_, params.value("aliases", false)};
  STACK_TRY(network_spec(spec, s, m.container, ctx));
  STACK_TRY(networks_.attach(m.container, net::Netns(std::move(fds[1]), "netns of " + m.container), journal_));
  for (const auto& [network, veth] : networks_.links_of(m.container))
    STACK_TRY(shape_new_link(s, network, veth, journal_));
  auto etc = rt::container_paths(root, m.container).etc;
  STACK_TRY(rewrite_in_place(etc.hosts, spec.etc.hosts));
  STACK_TRY(rewrite_in_place(etc.resolv_conf, spec.etc.resolv_conf));
  auto w = sv::PidfdWatch::create(loop_, fds[0].get(), [this, it] { exited(it); });
  if (!w) return unexpected(w.error());
  m.watch = std::move(*w);
  return {};
}

void RunMembers::exited(std::list<Member>::iterator it) {
  if (auto left = networks_.leave(it->container, journal_); !left)
    std::fprintf(stderr, "supervisor: %s leaving its networks: %s\n", it->container.c_str(), left.error().message.c_str());
  members_.erase(it);  // the watch fired last in its callback: closing it here is safe
}

void StackSupervisor::run_join(sv::Request&& r, sv::Responder resp) {
  if (down_started_) return resp.fail(Error{EBUSY, "stack " + project_.name + " is going down"});
  auto s = project_.services.find(r.params.value("service", ""));
  if (s == project_.services.end())
    return resp.fail(Error{ENOENT, "no such service in the running stack: " + r.params.value("service", "")});
  if (!networks_) return resp.fail(Error{ENOENT, "stack " + project_.name + " has no networks"});
  if (!runs_) runs_ = std::make_unique<RunMembers>(loop_, *networks_, journal_);
  auto joined = runs_->join(s->second, r.params, r.fds);
  if (!joined) return resp.fail(joined.error());
  resp.reply(*joined);
}

}  // namespace stack::cli
