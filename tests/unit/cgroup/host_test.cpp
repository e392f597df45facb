#include <catch2/catch.hpp>

#include "engine/base/file.hpp"
#include "engine/cgroup/host.hpp"
#include "tests/support/testing.hpp"

using namespace stack::cgroup;

namespace {

// This project's development machines: v1 controllers plus a controller-less cgroup2.
const char kHybridMountinfo[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 23 0:40 / /proc rw,nosuid shared:5 - proc proc rw\n";
const char kHybridSelf[] =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/3e24\n2:cpuacct:/\n1:cpu:/\n0::/\n";

// A classic v1 host with co-mounted cpu,cpuacct and optional fields in mountinfo.
const char kV1Mountinfo[] =
    "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpuacct,cpu\n"
    "26 24 0:23 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory\n";
const char kV1Self[] = "3:memory:/user.slice\n2:cpu,cpuacct:/user.slice\n1:name=systemd:/x\n";

// A pure v2 host (cgroup_no_v1=all, or a modern distribution).
const char kV2Mountinfo[] =
    "24 1 0:21 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
const char kV2Self[] = "0::/user.slice/user-0.slice/session-1.scope\n";

}  // namespace

TEST_CASE("mountinfo: cgroup mounts of a hybrid host") {
  auto m = parse_cgroup_mounts(kHybridMountinfo);
  REQUIRE(m);
  REQUIRE(m->size() == 6);
  CHECK(m->at(0).mount_point == "/sys/fs/cgroup/cpu");
  CHECK(m->at(0).controllers == std::vector<std::string>{"cpu"});
  CHECK(m->at(4).controllers.empty());  // name=systemd is no controller
  CHECK(m->at(5).v2);
  CHECK(m->at(5).mount_point == "/sys/fs/cgroup/unified");
}

TEST_CASE("mountinfo: escaped mount points and a malformed line") {
  auto m = parse_cgroup_mounts("1 0 0:1 / /mnt/a\\040b rw - cgroup2 cgroup2 rw\n");
  REQUIRE(m);
  REQUIRE(m->size() == 1);
  CHECK(m->at(0).mount_point == "/mnt/a b");
  auto bad = parse_cgroup_mounts("1 0 0:1 / /x rw cgroup2 cgroup2 rw\n");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("line 1"));
}

TEST_CASE("/proc/self/cgroup parses v1, named and v2 lines") {
  auto p = parse_proc_cgroup(kV1Self);
  REQUIRE(p);
  REQUIRE(p->size() == 3);
  CHECK(p->at(1).controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK(p->at(1).path == "/user.slice");
  auto v2 = parse_proc_cgroup(kV2Self);
  REQUIRE(v2);
  CHECK(v2->at(0).hierarchy_id == 0);
  CHECK(v2->at(0).controllers.empty());
  CHECK_FALSE(parse_proc_cgroup("x:memory:/\n"));
  CHECK_FALSE(parse_proc_cgroup("3/memory\n"));
}

TEST_CASE("layout: hybrid host puts memory groups under the starting group") {
  auto layout = make_layout(*parse_cgroup_mounts(kHybridMountinfo), *parse_proc_cgroup(kHybridSelf));
  REQUIRE(layout);
  CHECK(layout->mode == Mode::kHybrid);
  CHECK(layout->unified_dir == "/sys/fs/cgroup/unified");
  CHECK(layout->v1_dirs.at("memory") == "/sys/fs/cgroup/memory/process_api/3e24");
  CHECK(layout->v1_dirs.at("cpu") == "/sys/fs/cgroup/cpu");
  CHECK(layout->v1_dirs.count("name=systemd") == 0);
  // Each controller's mount point: the top an absolute --cgroup-parent starts from.
  CHECK(layout->v1_mounts.at("memory") == "/sys/fs/cgroup/memory");
  CHECK(layout->v1_mounts.count("name=systemd") == 0);
}

TEST_CASE("layout: v1 host with co-mounted cpu,cpuacct") {
  auto layout = make_layout(*parse_cgroup_mounts(kV1Mountinfo), *parse_proc_cgroup(kV1Self));
  REQUIRE(layout);
  CHECK(layout->mode == Mode::kLegacy);
  CHECK_FALSE(layout->unified_dir);
  CHECK(layout->v1_dirs.at("cpu") == "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  CHECK(layout->v1_dirs.at("cpuacct") == "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  CHECK(layout->v1_mounts.at("cpuacct") == "/sys/fs/cgroup/cpu,cpuacct");
}

TEST_CASE("layout: unified host") {
  auto layout = make_layout(*parse_cgroup_mounts(kV2Mountinfo), *parse_proc_cgroup(kV2Self));
  REQUIRE(layout);
  CHECK(layout->mode == Mode::kUnified);
  CHECK(layout->unified_dir == "/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope");
  CHECK(layout->unified_mount == "/sys/fs/cgroup");  // the v2 driver's base (detect.cpp)
  CHECK(layout->v1_dirs.empty());
}

TEST_CASE("layout: a mount of a sub-tree (cgroup namespace) strips the mount root") {
  auto mounts = parse_cgroup_mounts("24 1 0:21 /ns /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
  auto inside = make_layout(*mounts, *parse_proc_cgroup("0::/ns/app\n"));
  REQUIRE(inside);
  CHECK(inside->unified_dir == "/sys/fs/cgroup/app");
  CHECK(inside->unified_mount == "/sys/fs/cgroup");
  auto outside = make_layout(*mounts, *parse_proc_cgroup("0::/other\n"));
  REQUIRE_FALSE(outside);
  CHECK_THAT(outside.error().message, Catch::Contains("not below the root"));
}

TEST_CASE("layout: no cgroup filesystem is an error") {
  auto r = make_layout({}, *parse_proc_cgroup("0::/\n"));
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("no cgroup"));
}

TEST_CASE("read_*: a file given by path is read every time; /proc/self's are read once per process") {
  stack::testing::TempDir dir;
  std::string path = dir.path() + "/mountinfo";
  REQUIRE(stack::write_file_atomic(path, kV1Mountinfo));
  auto first = read_cgroup_mounts(path);
  REQUIRE(first);
  CHECK(first->size() == 2);
  REQUIRE(stack::write_file_atomic(path, kV2Mountinfo));
  auto second = read_cgroup_mounts(path);
  REQUIRE(second);
  REQUIRE(second->size() == 1);
  CHECK(second->front().v2);
  // The process's own: the same answer, whatever the mount table does in between.
  auto a = read_cgroup_mounts(), b = read_cgroup_mounts();
  auto c = read_proc_cgroup(), d = read_proc_cgroup();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  REQUIRE(d);
  CHECK(a->size() == b->size());
  CHECK(c->size() == d->size());
}
