#pragma once
// A configured parent for a stack's groups (`--cgroup-parent`, compose's `cgroup_parent`),
// with docker's meaning: a relative path goes below the default base (the group this
// process starts in, per v1 hierarchy; the top of the cgroup2 mount on a unified host,
// detect.cpp says why), an absolute one from the top of each hierarchy as mounted here.
// The parent's spec (its text) is what the journal and one-off marks record, so that a
// later `down` finds the groups without the flag.
#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "engine/cgroup/driver.hpp"

namespace stack::cgroup {

struct Parent {
  bool absolute = false;
  std::string path;  // components joined by '/', no leading '/'; "" = the base (or the top) itself

  bool is_default() const { return !absolute && path.empty(); }
  // The text parse_parent() reads back into this parent ("" for the default).
  std::string spec() const { return absolute ? "/" + path : path; }
  bool operator==(const Parent&) const = default;
};

// "" = the default; "/" = the tops. Refuses empty components ("a//b", "a/"), "." and
// "..": the error names the bad text, the caller adds the flag or file:line:key.
Result<Parent> parse_parent(std::string_view text);

// The driver whose base is the parent (make_host_driver(Parent{}) is the default one).
Result<std::unique_ptr<Driver>> make_host_driver(const Parent& parent);

// The parent's groups that exist in no hierarchy yet, which are stack's to make and to
// remove once empty: `existing` is the deepest prefix found in some hierarchy (the base
// or top when none), `missing` the components below it ("" when the parent exists).
struct ParentSplit {
  Parent existing;
  std::string missing;
};
Result<ParentSplit> split_parent(const Parent& parent);
// mkdir -p of the parent in every hierarchy (v2: controllers enabled on the way down, as
// Driver::create does). true = some group was made now.
Result<bool> make_parent(const Parent& parent);
// rmdir of split.missing, leaf first, each only when empty (never a kill): what
// make_parent made for the parent, once nothing of any stack is left in it.
Result<void> prune_parent(const ParentSplit& split);

}  // namespace stack::cgroup
