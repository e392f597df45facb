// /sys/fs/cgroup on a v1/hybrid host: which host hierarchies become mounts, and the plan's
// order (tmpfs writable, the hierarchies, their links, then read-only).
#include <sys/mount.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "engine/runtime/cgroup_mounts.hpp"
#include "engine/runtime/defaults.hpp"
#include "engine/runtime/plan.hpp"

using namespace stack::engine::runtime;

namespace {

// A Debian 11 style hybrid host: cpu,cpuacct joined, name=systemd, the unified tree.
constexpr const char* kHybrid =
    "31 23 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "33 31 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "34 31 0:31 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory\n"
    "36 25 0:33 / /mnt/elsewhere rw,relatime - cgroup cgroup rw,pids\n";

// A container's spec on that host: the default mounts with /sys/fs/cgroup as a read-only
// tmpfs and the host's hierarchies below it.
Spec v1_spec() {
  Spec s = default_spec({"/bin/sh"}, {"/layers/a"}, "web");
  s.mounts = default_mounts(kDefaultShmSize, true);
  s.mounts.back() = {"/sys/fs/cgroup", "tmpfs", "tmpfs", {"nosuid", "noexec", "nodev", "ro", "mode=755"}};
  auto host = stack::cgroup::parse_cgroup_mounts(kHybrid);
  REQUIRE(host);
  for (auto& sub : cgroup_v1_mounts(*host)) s.mounts.push_back(sub);
  return s;
}

}  // namespace

TEST_CASE("cgroup v1 mounts: controller hierarchies and unified, not name=systemd", "[runtime]") {
  auto host = stack::cgroup::parse_cgroup_mounts(kHybrid);
  REQUIRE(host);
  auto m = cgroup_v1_mounts(*host);
  REQUIRE(m.size() == 3);
  CHECK(m[0].destination == "/sys/fs/cgroup/unified");
  CHECK(m[0].type == "cgroup2");
  CHECK(m[1].destination == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK(m[1].type == "cgroup");
  CHECK(parse_mount_options(m[1].options).data == "cpu,cpuacct");
  CHECK((parse_mount_options(m[1].options).flags & MS_RDONLY) != 0);
  CHECK(m[2].destination == "/sys/fs/cgroup/memory");
}

TEST_CASE("cgroup v1 plan: tmpfs writable, hierarchies and links, then read-only", "[runtime]") {
  Spec s = v1_spec();
  auto plan = build_plan(s, "/r/rootfs", {});
  REQUIRE(plan);
  std::vector<std::string> lines;
  for (const auto& op : plan->ops)
    if (op.path.rfind("/sys/fs/cgroup", 0) == 0 && op.kind != OpKind::kMkdir) lines.push_back(op.describe());
  CHECK(lines == std::vector<std::string>{"mounting tmpfs on /sys/fs/cgroup", "mounting cgroup2 on /sys/fs/cgroup/unified",
                                          "mounting cgroup on /sys/fs/cgroup/cpu,cpuacct",
                                          "making symlink /sys/fs/cgroup/cpu -> cpu,cpuacct",
                                          "making symlink /sys/fs/cgroup/cpuacct -> cpu,cpuacct",
                                          "mounting cgroup on /sys/fs/cgroup/memory",
                                          "remounting /sys/fs/cgroup with its options"});
  for (const auto& op : plan->ops) {
    if (op.path == "/sys/fs/cgroup" && op.kind == OpKind::kMount) CHECK((op.flags & MS_RDONLY) == 0);
    if (op.path == "/sys/fs/cgroup" && op.kind == OpKind::kBindRemount) CHECK((op.flags & MS_RDONLY) != 0);
  }
  // Without its own cgroup namespace a cgroup mount would show the host's tree.
  std::erase_if(s.namespaces, [](const Namespace& n) { return n.type == NamespaceType::kCgroup; });
  auto refused = build_plan(s, "/r/rootfs", {});
  REQUIRE(!refused);
  CHECK(refused.error().message.find("needs the container's own cgroup namespace") != std::string::npos);
}

TEST_CASE("a directory made once is not made again until a mount may hide it", "[runtime]") {
  auto mkdir_op = [](const std::string& path, bool optional = false) {
    auto slash = path.rfind('/');
    ChildOp op{OpKind::kMkdir, path, slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
    op.optional = optional;
    return op;
  };
  std::vector<ChildOp> ops = {mkdir_op("/a"), mkdir_op("/a/b"), mkdir_op("/a"), mkdir_op("/a/b"),
                              ChildOp{OpKind::kMount, "/a"},  // hides /a/b, not /a
                              mkdir_op("/a"), mkdir_op("/a/b"), mkdir_op("/w", true), mkdir_op("/w", true),
                              mkdir_op("/w"),  // an optional one may have failed: made again
                              mkdir_op("/w")};
  drop_repeated_mkdirs(ops);
  std::vector<std::string> left;
  for (const auto& op : ops) left.push_back(op.describe());
  CHECK(left == std::vector<std::string>{"making directory /a", "making directory /a/b", "mounting  on /a",
                                         "making directory /a/b", "making directory /w", "making directory /w"});

  // The v1 plan of the test above: every kept mkdir is made once between the mounts that
  // could hide it, and each hierarchy's target still comes after its tmpfs.
  Spec s = v1_spec();
  auto plan = build_plan(s, "/r/rootfs", {"/c/hosts", "/c/hostname", "/c/resolv.conf"});
  REQUIRE(plan);
  size_t mkdirs = 0;
  auto made = [&](const std::string& path) {
    return std::count_if(plan->ops.begin(), plan->ops.end(),
                         [&](const ChildOp& op) { return op.kind == OpKind::kMkdir && op.path == path; });
  };
  for (const auto& op : plan->ops) mkdirs += op.kind == OpKind::kMkdir;
  CHECK(made("/sys") == 1);
  CHECK(made("/sys/fs") == 1);
  CHECK(made("/sys/fs/cgroup") == 1);
  CHECK(made("/sys/fs/cgroup/memory") == 1);
  CHECK(made("/dev") == 1);
  CHECK(made("/etc") == 1);
  CHECK(mkdirs < 25);
  auto index = [&](OpKind kind, const std::string& path) {
    return std::find_if(plan->ops.begin(), plan->ops.end(),
                        [&](const ChildOp& op) { return op.kind == kind && op.path == path; }) -
           plan->ops.begin();
  };
  CHECK(index(OpKind::kMount, "/sys/fs/cgroup") < index(OpKind::kMkdir, "/sys/fs/cgroup/memory"));
  CHECK(index(OpKind::kMount, "/sys") < index(OpKind::kMkdir, "/sys/fs"));
}
