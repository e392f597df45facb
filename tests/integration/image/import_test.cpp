// Imports of rootfs directories and tarballs into a temp store (root, real files).
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "engine/image/store.hpp"
#include "tests/integration/image/image_fixture.hpp"

using namespace stack::image;
using namespace stack::image::test;
using stack::testing::run;

namespace {
// The sandbox's store, and two one-file trees to import that differ in that file's
// content: one = <dir>/one, two = <dir>/two.
ImageStore store_and_two_trees(const Sandbox& sb, std::string& one, std::string& two) {
  one = sb.dir() + "/one";
  two = sb.dir() + "/two";
  REQUIRE(::mkdir(one.c_str(), 0755) == 0);
  REQUIRE(::mkdir(two.c_str(), 0755) == 0);
  write_text(one + "/v", "1");
  write_text(two + "/v", "2");
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  return std::move(*store);
}
}  // namespace

TEST_CASE("a rootfs directory becomes one layer with the same tree") {
  stack::testing::require_root();
  Sandbox sb;
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  // Things an image must keep: device nodes, hard links, xattrs, owners, setuid, fifos.
  REQUIRE(::mknod((rootfs + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0);
  REQUIRE(::link((rootfs + "/bin/busybox").c_str(), (rootfs + "/bin/bb-hard").c_str()) == 0);
  REQUIRE(::setxattr((rootfs + "/etc/passwd").c_str(), "user.stack", "1", 1, 0) == 0);
  REQUIRE(::mkfifo((rootfs + "/tmp/fifo").c_str(), 0600) == 0);
  write_text(rootfs + "/bin/suid", "x");
  REQUIRE(::chown((rootfs + "/bin/suid").c_str(), 1000, 1000) == 0);
  REQUIRE(::chmod((rootfs + "/bin/suid").c_str(), 04755) == 0);

  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("busybox", rootfs);
  INFO((img ? "" : img.error().message));
  REQUIRE(img);
  CHECK(img->name == "busybox");
  CHECK(img->tag == "latest");
  CHECK(img->id.rfind("sha256:", 0) == 0);
  REQUIRE(img->layers.size() == 1);
  const std::string layer = img->layers[0];
  CHECK(layer.rfind(sb.images() + "/layers/", 0) == 0);
  CHECK(tree_listing(layer) == tree_listing(rootfs));
  CHECK(run("cmp '" + rootfs + "/bin/busybox' '" + layer + "/bin/busybox'").status == 0);

  struct stat st {};
  REQUIRE(::lstat((layer + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(1, 3));
  struct stat a {}, b {};
  REQUIRE(::lstat((layer + "/bin/busybox").c_str(), &a) == 0);
  REQUIRE(::lstat((layer + "/bin/bb-hard").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  char v[8] = {};
  CHECK(::getxattr((layer + "/etc/passwd").c_str(), "user.stack", v, sizeof v) == 1);
  CHECK(v[0] == '1');
  REQUIRE(::lstat((layer + "/bin/suid").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_uid == 1000);
  REQUIRE(::lstat((layer + "/tmp/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  // The size counts the hard-linked busybox once.
  REQUIRE(::lstat((rootfs + "/bin/busybox").c_str(), &st) == 0);
  CHECK(img->size >= st.st_size);
  CHECK(img->size < 2 * st.st_size);
  CHECK(entries(sb.images() + "/tmp").empty());

  auto again = store->resolve("busybox:latest");
  REQUIRE(again);
  CHECK(again->id == img->id);
  CHECK(again->layers == img->layers);
  auto by_digest = store->resolve("busybox@" + img->id);
  REQUIRE(by_digest);
  CHECK(by_digest->tag == "latest");
  CHECK(by_digest->layers == img->layers);
  CHECK_FALSE(store->resolve("busybox@sha256:" + std::string(64, '0')));
  CHECK_FALSE(store->resolve("other@" + img->id));
}

TEST_CASE("plain, gzip and zstd tarballs of one tree share one layer") {
  stack::testing::require_root();
  Sandbox sb;
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  std::string t = sb.dir() + "/r";
  REQUIRE(run("tar -C '" + rootfs + "' -cf " + t + ".tar . && gzip -k " + t + ".tar").status == 0);
  zstd_file(t + ".tar", t + ".tar.zst");
  REQUIRE(run("head -c 4 " + t + ".tar.zst | od -An -tx1").out == " 28 b5 2f fd\n");  // zstd magic
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  std::vector<std::string> layer_dirs;
  for (std::string ext : {".tar", ".tar.gz", ".tar.zst"}) {
    auto img = store->import("bb:" + ext.substr(ext.rfind('.') + 1), t + ext);
    INFO(ext << ": " << (img ? "" : img.error().message));
    REQUIRE(img);
    REQUIRE(img->layers.size() == 1);
    layer_dirs.push_back(img->layers[0]);
    // The layer is named by the sha256 of the uncompressed tar: the OCI diff_id.
    CHECK(layer_dirs.back() == sb.images() + "/layers/" + sha256_file(t + ".tar"));
  }
  CHECK(layer_dirs[0] == layer_dirs[1]);
  CHECK(layer_dirs[1] == layer_dirs[2]);
  CHECK(entries(sb.images() + "/layers").size() == 1);
  CHECK(tree_listing(layer_dirs[0]) == tree_listing(rootfs));
  auto all = store->list();
  REQUIRE(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].ref() == "bb:gz");
  CHECK((*all)[1].ref() == "bb:tar");
  CHECK((*all)[2].ref() == "bb:zst");
}

TEST_CASE("rm removes the tag, then layers no other image uses") {
  stack::testing::require_root();
  Sandbox sb;
  std::string a = sb.dir() + "/a", b = sb.dir() + "/b";
  make_busybox(a);
  REQUIRE(run("tar -C '" + a + "' -cf " + sb.dir() + "/a.tar .").status == 0);
  REQUIRE(::mkdir(b.c_str(), 0755) == 0);
  write_text(b + "/only-b", "b");
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  REQUIRE(store->import("a:1", sb.dir() + "/a.tar"));
  REQUIRE(store->import("a:2", sb.dir() + "/a.tar"));
  REQUIRE(store->import("b", b));
  CHECK(entries(sb.images() + "/layers").size() == 2);

  REQUIRE(store->remove("a:1"));
  CHECK(entries(sb.images() + "/layers").size() == 2);  // a:2 still uses it
  CHECK_FALSE(store->resolve("a:1"));
  REQUIRE(store->resolve("a:2"));
  REQUIRE(store->remove("a:2"));
  auto left = entries(sb.images() + "/layers");
  REQUIRE(left.size() == 1);
  auto bimg = store->resolve("b");
  REQUIRE(bimg);
  CHECK(bimg->layers[0] == sb.images() + "/layers/" + left[0]);
  CHECK(entries(sb.images() + "/tmp").empty());

  auto gone = store->remove("a:2");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.find("not found") != std::string::npos);
  REQUIRE(store->remove("b"));
  CHECK(entries(sb.images() + "/layers").empty());
  auto none = store->list();
  REQUIRE(none);
  CHECK(none->empty());
}

TEST_CASE("a missing image says how to import it") {
  Sandbox sb;
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto r = store->resolve("busybox:1");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "image busybox:1 not found in " + sb.root() +
                                 "; import it with: stack image import busybox:1 PATH");
  auto bare = store->resolve("web");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message.find("stack image import web:latest PATH") != std::string::npos);
  // Looking did not create the store.
  CHECK(::access(sb.root().c_str(), F_OK) != 0);
  auto list = store->list();
  REQUIRE(list);
  CHECK(list->empty());
}

TEST_CASE("re-importing a tag moves it and drops the unused layer; crash leftovers are collected") {
  stack::testing::require_root();
  Sandbox sb;
  std::string one, two;
  auto store = store_and_two_trees(sb, one, two);
  auto first = store.import("app", one);
  REQUIRE(first);
  auto second = store.import("app", two);
  REQUIRE(second);
  CHECK(first->layers != second->layers);
  auto now = store.resolve("app");
  REQUIRE(now);
  CHECK(now->layers == second->layers);
  // The layer only the old image used went at once (no other import was running).
  CHECK(entries(sb.images() + "/layers").size() == 1);
  // A crash mid-unpack leaves only tmp/ entries: never a dir under layers/.
  REQUIRE(::mkdir((sb.images() + "/tmp/layer-deadbeef-XXXXXX").c_str(), 0700) == 0);
  write_text(sb.images() + "/tmp/layer-deadbeef-XXXXXX/half", "x");
  REQUIRE(store.import("other", one));
  REQUIRE(store.remove("other"));
  CHECK(entries(sb.images() + "/tmp").empty());
  auto layers = entries(sb.images() + "/layers");
  REQUIRE(layers.size() == 1);  // "other"'s layer went with it
  CHECK(sb.images() + "/layers/" + layers[0] == second->layers[0]);
}

TEST_CASE("a catalog resolves many references from one read of the index, as resolve does") {
  stack::testing::require_root();
  Sandbox sb;
  std::string one, two;
  auto store = store_and_two_trees(sb, one, two);
  auto a = store.import("a", one), b = store.import("b:2", two);
  REQUIRE((a && b));
  auto catalog = store.catalog();
  REQUIRE(catalog);
  auto ra = catalog->resolve("a");
  auto rb = catalog->resolve("b@" + b->id);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->id == a->id);
  CHECK(ra->layers == store.resolve("a:latest")->layers);
  CHECK(rb->ref() == "b:2");
  // Missing tags and bad references fail with resolve's own words.
  auto missing = catalog->resolve("c:1");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == store.resolve("c:1").error().message);
  CHECK_FALSE(catalog->resolve("a@sha256:" + std::string(64, '0')));
  CHECK_FALSE(catalog->resolve("UPPER"));
  // It is the index as read: a later import is not in it, a new catalog has it.
  REQUIRE(store.import("c:1", one));
  CHECK_FALSE(catalog->resolve("c:1"));
  auto later = store.catalog();
  REQUIRE(later);
  CHECK(later->resolve("c:1"));
  // A layer gone since the read is still reported, as resolve reports it.
  REQUIRE(run("rm -rf '" + b->layers[0] + "'").status == 0);
  auto gone = catalog->resolve("b:2");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.find("is missing; import the image again") != std::string::npos);
}

TEST_CASE("empty layers: an empty tar and a 0-byte file") {
  stack::testing::require_root();
  Sandbox sb;
  REQUIRE(run("tar -cf '" + sb.dir() + "/empty.tar' -T /dev/null && : > '" + sb.dir() + "/zero'").status == 0);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  for (std::string f : {"empty.tar", "zero"}) {
    auto img = store->import("e:" + f.substr(0, 4), sb.dir() + "/" + f);
    INFO(f << ": " << (img ? "" : img.error().message));
    REQUIRE(img);
    REQUIRE(img->layers.size() == 1);
    CHECK(img->layers[0] == sb.images() + "/layers/" + sha256_file(sb.dir() + "/" + f));
    CHECK(entries(img->layers[0]).empty());
    CHECK(img->size == 0);
  }
  auto junk = sb.dir() + "/junk.tar";
  write_text(junk, "this is not an archive\n");
  auto bad = store->import("junk", junk);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("Unrecognized archive format") != std::string::npos);
  CHECK(bad.error().message.find("multibyte") == std::string::npos);
}

TEST_CASE("a rootfs directory is archived without what is mounted inside it, through a symlink") {
  stack::testing::require_root();
  Sandbox sb;
  std::string rootfs = sb.dir() + "/rootfs";
  REQUIRE(::mkdir(rootfs.c_str(), 0755) == 0);
  REQUIRE(::mkdir((rootfs + "/proc").c_str(), 0555) == 0);
  write_text(rootfs + "/keep", "k");
  REQUIRE(::mount("tmpfs", (rootfs + "/proc").c_str(), "tmpfs", 0, "size=64k") == 0);
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{rootfs + "/proc"};
  write_text(rootfs + "/proc/mounted-file", "m");
  REQUIRE(::symlink(rootfs.c_str(), (sb.dir() + "/link").c_str()) == 0);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("m", sb.dir() + "/link/");
  INFO((img ? "" : img.error().message));
  REQUIRE(img);
  CHECK(entries(img->layers[0]) == std::vector<std::string>{"keep", "proc"});
  CHECK(entries(img->layers[0] + "/proc").empty());
}
