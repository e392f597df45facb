#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "engine/base/file.hpp"
#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "tests/support/testing.hpp"

using stack::Result;

namespace {
Result<int> half(int x) {
  if (x % 2) return stack::fail("odd: " + std::to_string(x));
  return x / 2;
}
Result<int> quarter(int x) {
  auto h = half(x);
  STACK_TRY_CTX(h, "quartering");
  return half(*h);
}
}  // namespace

TEST_CASE("Result carries a value or an error with context") {
  REQUIRE(quarter(8).value() == 2);
  auto r = quarter(6);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "odd: 3");
  auto r2 = quarter(5);
  CHECK(r2.error().message == "quartering: odd: 5");
}

TEST_CASE("fail_errno keeps the errno and its text") {
  Result<void> r = stack::fail_errno(ENOENT, "failed to open 'x'");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ENOENT);
  CHECK(r.error().message == "failed to open 'x': No such file or directory");
}

TEST_CASE("write_file_atomic replaces a file whole and leaves no temp file") {
  stack::testing::TempDir dir;
  std::string p = dir.path() + "/a/b/state.json";
  REQUIRE(stack::make_dirs(dir.path() + "/a/b").value());
  REQUIRE(stack::write_file_atomic(p, "one"));
  REQUIRE(stack::write_file_atomic(p, "two"));
  CHECK(stack::read_file(p).value() == "two");
  auto missing = stack::read_file(dir.path() + "/nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ENOENT);
}

TEST_CASE("write_file_atomic without fsync swaps the new file in: readers keep the old one, no temp file stays") {
  stack::testing::TempDir dir;
  std::string p = dir.path() + "/ipam.state";
  using stack::Durability;
  REQUIRE(stack::write_file_atomic(p, "one", 0600, Durability::kProcessCrash));  // nothing to swap with yet
  stack::UniqueFd reader(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(reader);
  REQUIRE(stack::write_file_atomic(p, "two, longer", 0600, Durability::kProcessCrash));
  REQUIRE(stack::write_file_atomic(p, "three", 0600, Durability::kProcessCrash));
  CHECK(stack::read_file(p).value() == "three");
  char buf[16] = {};
  CHECK(::pread(reader.get(), buf, sizeof buf - 1, 0) == 3);  // the old file, whole
  CHECK(std::string(buf) == "one");
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto ls = stack::testing::run("ls -A " + dir.path());
  CHECK(ls.out == "ipam.state\n");
  // A directory in the way is refused as rename(2) refuses it, and stays where it was.
  REQUIRE(stack::make_dirs(dir.path() + "/d/x"));
  auto over = stack::write_file_atomic(dir.path() + "/d", "no", 0600, Durability::kProcessCrash);
  REQUIRE_FALSE(over);
  CHECK(over.error().code == EISDIR);
  CHECK(stack::testing::run("ls -A " + dir.path() + " " + dir.path() + "/d").out ==
        dir.path() + ":\nd\nipam.state\n\n" + dir.path() + "/d:\nx\n");
}

TEST_CASE("spread_subdirs sets ext4's top-of-hierarchy flag where the filesystem has one, and nothing else") {
  stack::testing::TempDir dir;
  std::string d = dir.path() + "/containers";
  REQUIRE(stack::make_dirs(d).value());
  stack::UniqueFd fd(::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(fd);
  int before = 0;
  if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &before) != 0) {
    WARN("no inode flags on the filesystem of " << d << " (" << std::strerror(errno) << "): only that it is harmless");
    stack::spread_subdirs(d);
    stack::spread_subdirs(dir.path() + "/missing");
    CHECK(stack::make_dirs(d + "/x").value());
    return;
  }
  CHECK_FALSE(before & FS_TOPDIR_FL);
  stack::spread_subdirs(d);
  stack::spread_subdirs(d);  // again: unchanged
  int after = 0;
  REQUIRE(::ioctl(fd.get(), FS_IOC_GETFLAGS, &after) == 0);
  CHECK(after == (before | FS_TOPDIR_FL));
  stack::spread_subdirs(dir.path() + "/missing");  // no error to report, nothing made
  CHECK(::access((dir.path() + "/missing").c_str(), F_OK) != 0);
}
