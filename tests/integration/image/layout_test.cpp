// OCI image layouts and `docker save` archives built by the test: two layers, the second
// with a whiteout and an opaque directory; checked on disk and through a real overlay.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/image/store.hpp"
#include "tests/integration/image/image_fixture.hpp"

using namespace stack::image;
using namespace stack::image::test;
using stack::testing::run;
using nlohmann::json;

namespace {

struct TwoLayers {
  std::string l1_tar, l2_tar;  // uncompressed layer tars
  std::string config;          // config JSON naming both diff_ids
};

// Layer 1: a busybox rootfs plus /var/www/old.html. Layer 2: deletes /etc/group
// (".wh.group"), makes /var/www opaque and adds index.html and /etc/motd.
TwoLayers make_layers(const Sandbox& sb) {
  TwoLayers t;
  std::string rootfs = sb.dir() + "/rootfs";
  make_busybox(rootfs);
  write_text(rootfs + "/var/www/old.html", "old");
  t.l1_tar = sb.dir() + "/l1.tar";
  REQUIRE(run("tar -C '" + rootfs + "' -cf '" + t.l1_tar + "' .").status == 0);
  t.l2_tar = sb.dir() + "/l2.tar";
  {
    TarBuilder l2(t.l2_tar);
    l2.dir("etc/").file("etc/.wh.group", "").file("etc/motd", "layer two\n");
    l2.dir("var/www/").file("var/www/.wh..wh..opq", "").file("var/www/index.html", "new\n");
  }
  json cfg{{"created", "2024-05-06T07:08:09Z"},
           {"architecture", "amd64"},
           {"os", "linux"},
           {"config",
            {{"Env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello world"}},
             {"Entrypoint", {"/bin/sh", "-c"}},
             {"Cmd", {"cat /etc/motd"}},
             {"WorkingDir", "/var/www"},
             {"User", "app"},
             {"ExposedPorts", {{"8080/tcp", json::object()}, {"53/udp", json::object()}}}}},
           {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + sha256_file(t.l1_tar), "sha256:" + sha256_file(t.l2_tar)}}}}};
  t.config = cfg.dump();
  return t;
}

// Copies a file into <layout>/blobs/sha256/<its sha256>; returns the digest.
std::string add_blob(const std::string& layout, const std::string& file) {
  std::string hex = sha256_file(file);
  REQUIRE(run("mkdir -p '" + layout + "/blobs/sha256' && cp '" + file + "' '" + layout + "/blobs/sha256/" + hex + "'").status == 0);
  return "sha256:" + hex;
}

std::string make_oci_layout(const Sandbox& sb, const TwoLayers& t) {
  std::string layout = sb.dir() + "/oci";
  REQUIRE(run("mkdir -p '" + layout + "' && gzip -k '" + t.l1_tar + "'").status == 0);
  std::string l1 = add_blob(layout, t.l1_tar + ".gz");  // compressed, as registries ship it
  std::string l2 = add_blob(layout, t.l2_tar);
  write_text(sb.dir() + "/config.json", t.config);
  std::string cfg = add_blob(layout, sb.dir() + "/config.json");
  json manifest{{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"digest", cfg}, {"size", 1}}},
                {"layers",
                 {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"digest", l1}, {"size", 1}},
                  {{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", l2}, {"size", 1}}}}};
  write_text(sb.dir() + "/manifest", manifest.dump());
  std::string m = add_blob(layout, sb.dir() + "/manifest");
  json index{{"schemaVersion", 2},
             {"manifests", {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", m}, {"size", 1},
                             {"annotations", {{"org.opencontainers.image.ref.name", "1"}}}}}}};
  write_text(layout + "/index.json", index.dump());
  write_text(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  return layout;
}

std::string make_docker_archive(const Sandbox& sb, const TwoLayers& t) {
  std::string d = sb.dir() + "/docker";
  std::string h1 = sha256_file(t.l1_tar), h2 = sha256_file(t.l2_tar);
  REQUIRE(run("mkdir -p '" + d + "/" + h1 + "' '" + d + "/" + h2 + "' && cp '" + t.l1_tar + "' '" + d + "/" + h1 +
              "/layer.tar' && cp '" + t.l2_tar + "' '" + d + "/" + h2 + "/layer.tar'").status == 0);
  write_text(sb.dir() + "/cfg", t.config);
  std::string ch = sha256_file(sb.dir() + "/cfg");
  write_text(d + "/" + ch + ".json", t.config);
  json manifest = json::array({{{"Config", ch + ".json"}, {"RepoTags", {"web:1"}},
                                {"Layers", {h1 + "/layer.tar", h2 + "/layer.tar"}}}});
  write_text(d + "/manifest.json", manifest.dump());
  std::string tar = sb.dir() + "/docker.tar";
  REQUIRE(run("tar -C '" + d + "' -cf '" + tar + "' .").status == 0);
  return tar;
}

void check_two_layer_image(const Image& img) {
  REQUIRE(img.layers.size() == 2);
  const std::string& top = img.layers[1];
  struct stat st {};
  REQUIRE(::lstat((top + "/etc/group").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == 0);
  CHECK(st.st_uid == 0);
  char v[4] = {};
  CHECK(::getxattr((top + "/var/www").c_str(), "trusted.overlay.opaque", v, sizeof v) == 1);
  CHECK(v[0] == 'y');
  CHECK(::getxattr((img.layers[0] + "/var/www").c_str(), "trusted.overlay.opaque", v, sizeof v) < 0);
  for (const auto& l : img.layers) CHECK(find_names(l, ".wh.").empty());
  const ImageConfig& c = img.config;
  CHECK(c.env == std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello world"});
  CHECK(c.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(c.cmd == std::vector<std::string>{"cat /etc/motd"});
  CHECK(c.working_dir == "/var/www");
  CHECK(c.user == "app");
  CHECK(c.exposed_ports == std::vector<std::string>{"53/udp", "8080/tcp"});
  CHECK(img.created == "2024-05-06T07:08:09Z");
}

// Mounts the image read-only as the runtime will (overlayfs(5) lowerdir only) and
// checks what a container would see; always unmounts.
void check_through_overlay(const Sandbox& sb, const Image& img) {
  std::string mnt = sb.dir() + "/mnt";
  REQUIRE(::mkdir(mnt.c_str(), 0755) == 0);
  std::string opts = "lowerdir=" + img.overlay_lowerdir();
  if (::mount("overlay", mnt.c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) {
    FAIL("mount overlay: " << std::strerror(errno));
  }
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } guard{mnt};
  CHECK(::access((mnt + "/etc/group").c_str(), F_OK) != 0);  // whited out
  CHECK(::access((mnt + "/etc/passwd").c_str(), F_OK) == 0);  // from layer 1
  CHECK(entries(mnt + "/var/www") == std::vector<std::string>{"index.html"});  // opaque
  CHECK(run("cat '" + mnt + "/etc/motd'").out == "layer two\n");
  CHECK(::access((mnt + "/bin/busybox").c_str(), X_OK) == 0);
}

}  // namespace

TEST_CASE("an OCI layout directory and its tarball import with whiteouts") {
  stack::testing::require_root();
  Sandbox sb;
  TwoLayers t = make_layers(sb);
  std::string layout = make_oci_layout(sb, t);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("localhost:5000/web:1", layout);
  INFO((img ? "" : img.error().message));
  REQUIRE(img);
  CHECK(img->id == "sha256:" + sha256_file(sb.dir() + "/config.json"));
  CHECK(img->layers[0] == sb.images() + "/layers/" + sha256_file(t.l1_tar));
  check_two_layer_image(*img);
  check_through_overlay(sb, *img);

  // The same layout as a tar: same image, no new layer dirs.
  REQUIRE(run("tar -C '" + layout + "' -cf '" + sb.dir() + "/oci.tar' .").status == 0);
  auto again = store->import("web:tar", sb.dir() + "/oci.tar");
  INFO((again ? "" : again.error().message));
  REQUIRE(again);
  CHECK(again->id == img->id);
  CHECK(again->layers == img->layers);
  CHECK(entries(sb.images() + "/layers").size() == 2);
  CHECK(entries(sb.images() + "/tmp").empty());
  auto resolved = store->resolve("localhost:5000/web:1");
  REQUIRE(resolved);
  check_two_layer_image(*resolved);
}

TEST_CASE("a docker save archive imports, sharing layers with the OCI import") {
  stack::testing::require_root();
  Sandbox sb;
  TwoLayers t = make_layers(sb);
  std::string tar = make_docker_archive(sb, t);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("web", tar);
  INFO((img ? "" : img.error().message));
  REQUIRE(img);
  check_two_layer_image(*img);
  check_through_overlay(sb, *img);
  auto oci = store->import("web:oci", make_oci_layout(sb, t));
  REQUIRE(oci);
  CHECK(oci->layers == img->layers);
  CHECK(entries(sb.images() + "/layers").size() == 2);
}

TEST_CASE("a layer whose content differs from the config's diff_id is refused") {
  stack::testing::require_root();
  Sandbox sb;
  TwoLayers t = make_layers(sb);
  t.config.replace(t.config.find(sha256_file(t.l2_tar)), 64, std::string(64, '0'));
  std::string layout = make_oci_layout(sb, t);
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("bad", layout);
  REQUIRE_FALSE(img);
  CHECK(img.error().message.find("but the image config says sha256:000") != std::string::npos);
  CHECK_FALSE(store->resolve("bad"));
  CHECK(entries(sb.images() + "/tmp").empty());
}

TEST_CASE("an OCI config that is not what the manifest names is refused") {
  stack::testing::require_root();
  Sandbox sb;
  TwoLayers t = make_layers(sb);
  std::string layout = make_oci_layout(sb, t);
  std::string cfg_blob = layout + "/blobs/sha256/" + sha256_file(sb.dir() + "/config.json");
  write_text(cfg_blob, t.config + " ");
  auto store = ImageStore::open(sb.root());
  REQUIRE(store);
  auto img = store->import("tampered", layout);
  REQUIRE_FALSE(img);
  CHECK(img.error().message.find("does not match its digest") != std::string::npos);
  CHECK(entries(sb.images() + "/layers").empty());
}
