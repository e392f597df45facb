#include "engine/cgroup/parent.hpp"

#include "engine/cgroup/host.hpp"
#include "engine/cgroup/path.hpp"

namespace stack::cgroup {

Result<Parent> parse_parent(std::string_view text) {
  Parent p;
  p.absolute = !text.empty() && text.front() == '/';
  std::string_view rest = p.absolute ? text.substr(1) : text;
  if (rest.empty()) return p;
  if (auto ok = check_relative(rest); !ok)
    return fail("cgroup parent '" + std::string(text) + "' has an empty, '.' or '..' component");
  p.path = std::string(rest);
  return p;
}

Result<std::unique_ptr<Driver>> make_host_driver(const Parent& parent) {
  auto layout = read_host_layout();
  if (!layout) return unexpected(layout.error().wrap("detecting the cgroup layout"));
  return make_driver(*layout, parent);
}

Result<ParentSplit> split_parent(const Parent& parent) {
  ParentSplit split{Parent{parent.absolute, ""}, parent.path};
  if (parent.path.empty()) return split;
  auto top = make_host_driver(split.existing);
  if (!top) return unexpected(top.error());
  size_t end = 0;
  while (end != std::string::npos) {
    end = parent.path.find('/', end + 1);
    std::string prefix = parent.path.substr(0, end);
    if (!(*top)->exists(prefix)) break;
    split.existing.path = prefix;
    split.missing = end == std::string::npos ? "" : parent.path.substr(end + 1);
  }
  return split;
}

Result<bool> make_parent(const Parent& parent) {
  if (parent.path.empty()) return false;
  auto top = make_host_driver(Parent{parent.absolute, ""});
  if (!top) return unexpected(top.error());
  auto made = (*top)->create(parent.path);
  if (!made) return unexpected(made.error().wrap("making the cgroup parent '" + parent.spec() + "'"));
  return made;
}

Result<void> prune_parent(const ParentSplit& split) {
  if (split.missing.empty()) return {};
  auto base = make_host_driver(split.existing);
  if (!base) return unexpected(base.error());
  return (*base)->prune_empty(split.missing);
}

}  // namespace stack::cgroup
