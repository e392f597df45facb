// Hostile layer tars: nothing may be written outside the layer dir, and a failed unpack
// leaves neither a layer nor a temp dir behind.
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/image/store.hpp"
#include "tests/integration/image/image_fixture.hpp"

using namespace stack::image;
using namespace stack::image::test;
using stack::testing::run;

namespace {

// Imports tar and expects a refusal whose message contains `why`; checks the store
// kept no trace of the attempt.
void expect_refused(const Sandbox& sb, const std::string& tar, const std::string& why) {
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("evil", tar);
  REQUIRE_FALSE(img);
  INFO(img.error().message);
  CHECK(img.error().message.find(why) != std::string::npos);
  CHECK(img.error().message.find("importing '" + tar + "' as evil:latest") == 0);
  CHECK(entries(sb.images() + "/layers").empty());
  CHECK(entries(sb.images() + "/tmp").empty());
  CHECK_FALSE(store->resolve("evil"));
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("a '..' entry is refused and writes nothing outside") {
  stack::testing::require_root();
  Sandbox sb;
  std::string tar = sb.dir() + "/dotdot.tar";
  std::string name = "evil-" + std::to_string(::getpid());
  {
    TarBuilder t(tar);
    t.file("ok", "fine").file("../" + name, "x").file("a/../../../" + name, "x");
  }
  expect_refused(sb, tar, "'..' component");
  CHECK(find_names(sb.dir(), name).empty());
  CHECK_FALSE(exists("/tmp/" + name));
}

TEST_CASE("writing through an absolute symlink is refused") {
  stack::testing::require_root();
  Sandbox sb;
  std::string outside = sb.dir() + "/outside";
  REQUIRE(::mkdir(outside.c_str(), 0755) == 0);
  std::string tar = sb.dir() + "/abs-link.tar";
  {
    TarBuilder t(tar);
    t.symlink("link", outside).file("link/pwned", "x");
  }
  expect_refused(sb, tar, "symlink");
  CHECK(entries(outside).empty());
}

TEST_CASE("writing through a relative symlink that climbs out is refused") {
  stack::testing::require_root();
  Sandbox sb;
  std::string tar = sb.dir() + "/rel-link.tar";
  {
    TarBuilder t(tar);
    t.dir("d/").symlink("d/up", "../../../..").file("d/up/pwned-rel", "x");
  }
  expect_refused(sb, tar, "symlink");
  CHECK(find_names(sb.dir(), "pwned-rel").empty());
}

TEST_CASE("hard links to host files are refused") {
  stack::testing::require_root();
  Sandbox sb;
  std::string direct = sb.dir() + "/hl.tar";
  {
    TarBuilder t(direct);
    t.hardlink("passwd", "/etc/passwd");
  }
  expect_refused(sb, direct, "does not stay in the layer");
  std::string via_link = sb.dir() + "/hl2.tar";
  {
    TarBuilder t(via_link);
    t.symlink("s", "/etc").hardlink("passwd", "s/passwd");
  }
  expect_refused(sb, via_link, "does not stay in the layer");
  struct stat st {};
  REQUIRE(::stat("/etc/passwd", &st) == 0);
  CHECK(st.st_nlink == 1);
}

TEST_CASE("absolute entry names land inside the layer; smuggled overlay xattrs are dropped") {
  stack::testing::require_root();
  Sandbox sb;
  std::string name = "stack-abs-" + std::to_string(::getpid());
  std::string tar = sb.dir() + "/abs.tar";
  {
    TarBuilder t(tar);
    t.file("/" + name, "inside").dir_with_xattr("d/", "trusted.overlay.opaque", "y").file("d/f", "1");
    t.hardlink("d/g", "/d/f");  // an absolute hard-link target names the layer's own file
  }
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("abs", tar);
  INFO((img ? "" : img.error().message));
  REQUIRE(img);
  const std::string& layer = img->layers.at(0);
  struct stat root_st {};
  REQUIRE(::stat(layer.c_str(), &root_st) == 0);
  CHECK((root_st.st_mode & 07777) == 0755);  // the tar has no "./" entry
  CHECK_FALSE(exists("/" + name));
  CHECK(run("cat '" + layer + "/" + name + "'").out == "inside");
  char v[4];
  CHECK(::getxattr((layer + "/d").c_str(), "trusted.overlay.opaque", v, sizeof v) < 0);
  struct stat f {}, g {};
  REQUIRE(::stat((layer + "/d/f").c_str(), &f) == 0);
  REQUIRE(::stat((layer + "/d/g").c_str(), &g) == 0);
  CHECK(f.st_ino == g.st_ino);
}

TEST_CASE("a corrupt archive is an error naming the file") {
  stack::testing::require_root();
  Sandbox sb;
  std::string tar = sb.dir() + "/trunc.tar.gz";
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  REQUIRE(run("tar -C '" + rootfs + "' -czf " + tar + " . && truncate -s 300000 " + tar).status == 0);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("trunc", tar);
  REQUIRE_FALSE(img);
  INFO(img.error().message);
  CHECK(img.error().message.find(tar) != std::string::npos);
  CHECK(entries(sb.images() + "/layers").empty());
  CHECK(entries(sb.images() + "/tmp").empty());
  auto missing = store->import("nope", sb.dir() + "/does-not-exist");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ENOENT);
  CHECK(missing.error().message.find("does-not-exist") != std::string::npos);
}
