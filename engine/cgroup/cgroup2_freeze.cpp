// The cgroup v2 freezer (Documentation/admin-guide/cgroup-v2.rst, "Core Interface
// Files"): writing 1 to cgroup.freeze freezes the group and its descendants; the
// "frozen" key of cgroup.events turns 1 once every process is stopped.
#include "engine/cgroup/cgroup2_driver.hpp"
#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/path.hpp"

namespace stack::cgroup {

Result<void> Cgroup2Driver::freeze(const std::string& rel, bool frozen) {
  STACK_TRY(check_relative(rel));
  std::string file = base_ + "/" + rel + "/cgroup.freeze";
  if (!fs::exists(file)) return fail("cannot " + std::string(frozen ? "freeze" : "thaw") + " cgroup '" + rel +
                                     "': the kernel has no cgroup.freeze (Linux 5.2 or later is needed)");
  if (frozen) return fs::write_value(file, "1");
  // A descendant frozen by its own cgroup.freeze stays frozen when an ancestor thaws.
  auto dirs = fs::subtree_post_order(base_ + "/" + rel);
  if (!dirs) return unexpected(dirs.error());
  for (const auto& d : *dirs) STACK_TRY(fs::write_value(d + "/cgroup.freeze", "0"));
  return {};
}

Result<bool> Cgroup2Driver::frozen(const std::string& rel) {
  STACK_TRY(check_relative(rel));
  auto v = fs::read_keyed(base_ + "/" + rel + "/cgroup.events", "frozen");
  if (!v) return unexpected(v.error());
  return v->value_or(0) == 1;
}

}  // namespace stack::cgroup
