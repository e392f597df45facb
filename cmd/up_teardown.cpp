#include "cmd/up_teardown.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "cmd/run_cgroup.hpp"
#include "engine/cgroup/driver.hpp"
#include "engine/cgroup/parent.hpp"
#include "engine/runtime/cleanup.hpp"
#include "network/bandwidth_apply.hpp"
#include "network/teardown.hpp"

namespace stack::cli {

std::map<std::string, state::Undo> stack_undo_handlers() {
  auto undo = engine::runtime::undo_handlers();
  undo["container"] = [](const state::Record& r) -> Result<void> {
    auto removed = engine::runtime::remove_container_dir(r.data.at("dir").get<std::string>());
    if (!removed) return unexpected(removed.error());
    return {};
  };
  // One driver per parent for all the records of a replay (a stack's journal has a
  // record per container: detecting the host's layout each time was most of their undo).
  auto drivers = std::make_shared<std::map<std::string, std::unique_ptr<cgroup::Driver>>>();
  undo["cgroup"] = [drivers](const state::Record& r) -> Result<void> {
    std::string spec = r.data.value("parent", "");
    auto& driver = (*drivers)[spec];
    if (!driver) {
      auto parent = cgroup::parse_parent(spec);
      if (!parent) return unexpected(parent.error());
      auto made = cgroup::make_host_driver(*parent);
      if (!made) return unexpected(made.error());
      driver = std::move(*made);
    }
    std::string rel = r.data.at("rel").get<std::string>();
    (void)driver->freeze(rel, false);  // v1: a frozen process takes no SIGKILL
    STACK_TRY(driver->kill_all(rel));
    auto removed = driver->remove(rel);
    if (!removed) return unexpected(removed.error());
    // stack/ itself once the project's group went: a parent stack made must be empty.
    if (auto slash = rel.rfind('/'); slash != std::string::npos) STACK_TRY(driver->prune_empty(rel.substr(0, slash)));
    return {};
  };
  undo["cgroup_parent"] = [](const state::Record& r) -> Result<void> {
    auto existing = cgroup::parse_parent(r.data.value("parent", ""));
    if (!existing) return unexpected(existing.error());
    return cgroup::prune_parent({*existing, r.data.at("rel").get<std::string>()});
  };
  auto done = [](Result<bool> r) -> Result<void> {
    if (!r) return unexpected(r.error());
    return {};
  };
  auto str = [](const state::Record& r, const char* key) { return r.data.at(key).get<std::string>(); };
  undo["veth"] = [=](const state::Record& r) { return done(net::teardown_veth(str(r, "name"))); };
  undo["bandwidth"] = [=](const state::Record& r) { return done(net::teardown_bandwidth(str(r, "link"), str(r, "ifb"))); };
  undo["bridge"] = [=](const state::Record& r) { return done(net::teardown_bridge(str(r, "name"))); };
  undo["nft"] = [=](const state::Record& r) { return done(net::teardown_nat_table(str(r, "table"))); };
  undo["address"] = [=](const state::Record& r) {
    return done(net::teardown_address(str(r, "state_dir"), str(r, "network"), str(r, "container")));
  };
  undo["subnet"] = [=](const state::Record& r) {
    return done(net::teardown_subnet(str(r, "state_dir"), str(r, "network")));
  };
  return undo;
}

namespace {

// An address lease whose network's subnet is released by the same replay goes with it
// (release_subnet drops the network's leases): its record is marked done unread, which
// saves a locked ledger rewrite per container at down. A crash after this leaves the
// subnet's record pending, and its undo still releases them.
Result<void> forget_superseded_addresses(state::Journal& journal) {
  auto pending = journal.pending();
  if (!pending) return unexpected(pending.error());
  auto key = [](const state::Record& r) {
    return r.data.value("state_dir", "") + "\n" + r.data.value("network", "");
  };
  std::set<std::string> subnets;
  for (const auto& r : *pending)
    if (r.kind == "subnet") subnets.insert(key(r));
  for (const auto& r : *pending)
    if (r.kind == "address" && subnets.count(key(r))) STACK_TRY(journal.done(r.id));
  return {};
}

}  // namespace

Result<void> replay_stack_journal(const state::Layout& layout) {
  struct stat st{};
  if (::stat(layout.journal().c_str(), &st) != 0) return {};
  auto journal = state::Journal::open(layout.journal());
  if (!journal) return unexpected(journal.error());
  thaw_project(layout.project());
  STACK_TRY(forget_superseded_addresses(*journal));
  STACK_TRY(state::replay(*journal, stack_undo_handlers()));
  if (::unlink(layout.journal().c_str()) != 0 && errno != ENOENT)
    return fail_errno("failed to remove journal '" + layout.journal() + "'");
  return {};
}

Result<void> remove_stack_logs(const state::Layout& layout) {
  auto removed = engine::runtime::remove_tree(layout.logs_dir());
  if (!removed) return unexpected(removed.error());
  // <root>/stacks/<project> is ours too once its logs are gone (rmdir: only if empty).
  std::string dir = layout.logs_dir().substr(0, layout.logs_dir().rfind('/'));
  ::rmdir(dir.c_str());
  return {};
}

}  // namespace stack::cli
