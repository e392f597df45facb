// The freezer on v1 and hybrid hosts: the v1 freezer controller
// (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst: freezer.state FROZEN,
// FREEZING until every task stopped, THAWED), else the hybrid host's cgroup2 tracking
// group's cgroup.freeze.
#include "engine/cgroup/cgroup1_driver.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/path.hpp"

namespace stack::cgroup {
namespace {

// Thawing covers the subtree: a group frozen itself stays frozen when its parent thaws
// (freezer.self_freezing; cgroup.freeze likewise).
Result<void> write_subtree(const std::string& dir, const char* file, const char* value) {
  auto dirs = fs::subtree_post_order(dir);
  if (!dirs) return unexpected(dirs.error());
  for (const auto& d : *dirs) STACK_TRY(fs::write_value(d + "/" + file, value));
  return {};
}

}  // namespace

Result<void> Cgroup1Driver::freeze(const std::string& rel, bool frozen) {
  STACK_TRY(check_relative(rel));
  if (auto f = dir_of("freezer")) {
    std::string dir = *f + "/" + rel;
    if (frozen) return fs::write_value(dir + "/freezer.state", "FROZEN");
    return write_subtree(dir, "freezer.state", "THAWED");
  }
  if (unified_ && fs::exists(*unified_ + "/" + rel + "/cgroup.freeze")) {
    std::string dir = *unified_ + "/" + rel;
    if (frozen) return fs::write_value(dir + "/cgroup.freeze", "1");
    return write_subtree(dir, "cgroup.freeze", "0");
  }
  return fail("cannot " + std::string(frozen ? "freeze" : "thaw") + " cgroup '" + rel +
              "': the host has no freezer controller");
}

Result<bool> Cgroup1Driver::frozen(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  if (auto f = dir_of("freezer")) {
    auto st = fs::read_value(*f + "/" + rel + "/freezer.state");
    if (!st) return unexpected(st.error());
    return *st == "FROZEN";
  }
  if (!unified_) return fail("cgroup '" + rel + "': the host has no freezer controller");
  auto v = fs::read_keyed(*unified_ + "/" + rel + "/cgroup.events", "frozen");
  if (!v) return unexpected(v.error());
  return v->value_or(0) == 1;
}

}  // namespace stack::cgroup
