#include <catch2/catch.hpp>

#include "engine/image/import/manifest.hpp"
#include "engine/image/metadata.hpp"
#include "engine/image/sha256.hpp"

using namespace stack::image;

namespace {
std::string hex(char c) { return std::string(64, c); }
}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 examples") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;  // one million 'a', fed in uneven pieces
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left) {
    size_t n = std::min(left, chunk.size());
    h.update(chunk.data(), n);
    left -= n;
  }
  CHECK(h.hex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("OCI index: the only manifest, or the host's platform") {
  std::string one = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)" + hex('a') + R"(","size":1}]})";
  auto d = parse_oci_index(one, "amd64");
  REQUIRE(d);
  CHECK(d->digest == "sha256:" + hex('a'));
  CHECK(blob_path(*d) == "blobs/sha256/" + hex('a'));
  std::string multi = R"({"manifests":[
    {"digest":"sha256:)" + hex('1') + R"(","platform":{"os":"linux","architecture":"arm64"}},
    {"digest":"sha256:)" + hex('2') + R"(","platform":{"os":"linux","architecture":"amd64"}}]})";
  CHECK(parse_oci_index(multi, "amd64")->digest == "sha256:" + hex('2'));
  CHECK(parse_oci_index(multi, "arm64")->digest == "sha256:" + hex('1'));
  CHECK(parse_oci_index(multi, "s390x")->digest == "sha256:" + hex('1'));
}

TEST_CASE("a digest that could be a path is refused") {
  auto bad = parse_oci_index(R"({"manifests":[{"digest":"sha256:../../../etc/passwd"}]})", "amd64");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("not sha256") != std::string::npos);
  CHECK_FALSE(parse_oci_index(R"({"manifests":[]})", "amd64"));
  CHECK_FALSE(parse_oci_index("not json", "amd64"));
  CHECK_FALSE(valid_sha256_digest("sha256:" + std::string(64, 'A')));
  CHECK(valid_sha256_digest("sha256:" + hex('f')));
}

TEST_CASE("OCI manifest: config and layers in order") {
  std::string m = R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
                  hex('c') + R"("},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:)" +
                  hex('1') + R"("},{"digest":"sha256:)" + hex('2') + R"("}]})";
  auto r = parse_oci_manifest(m);
  REQUIRE(r);
  CHECK(r->config.digest == "sha256:" + hex('c'));
  REQUIRE(r->layers.size() == 2);
  CHECK(r->layers[0].digest == "sha256:" + hex('1'));
  CHECK(r->layers[0].media_type == "application/vnd.oci.image.layer.v1.tar+gzip");
  CHECK(r->layers[1].digest == "sha256:" + hex('2'));
  CHECK_FALSE(parse_oci_manifest(R"({"layers":[]})"));
}

TEST_CASE("docker save manifest.json") {
  auto r = parse_docker_manifest(R"([{"Config":"abc.json","RepoTags":["busybox:1"],"Layers":["l1/layer.tar","l2/layer.tar"]}])");
  REQUIRE(r);
  CHECK(r->config == "abc.json");
  CHECK(r->repo_tags == std::vector<std::string>{"busybox:1"});
  CHECK(r->layers == std::vector<std::string>{"l1/layer.tar", "l2/layer.tar"});
  CHECK_FALSE(parse_docker_manifest("[]"));
  CHECK_FALSE(parse_docker_manifest(R"([{"Layers":[]}])"));
  CHECK_FALSE(parse_docker_manifest(R"([{"Config":"c","Layers":[1]}])"));
}

TEST_CASE("image config: the service defaults and the diff_ids") {
  std::string c = R"({"created":"2024-01-02T03:04:05.123Z","architecture":"amd64","os":"linux",
    "config":{"Env":["PATH=/bin","A=b c"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo hi"],
              "WorkingDir":"/srv","User":"app:app","ExposedPorts":{"8080/tcp":{},"53/udp":{}}},
    "rootfs":{"type":"layers","diff_ids":["sha256:)" + hex('1') + R"("]}})";
  auto r = parse_image_config(c);
  REQUIRE(r);
  CHECK(r->created == "2024-01-02T03:04:05.123Z");
  CHECK(r->config.env == std::vector<std::string>{"PATH=/bin", "A=b c"});
  CHECK(r->config.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(r->config.cmd == std::vector<std::string>{"echo hi"});
  CHECK(r->config.working_dir == "/srv");
  CHECK(r->config.user == "app:app");
  CHECK(r->config.exposed_ports == std::vector<std::string>{"53/udp", "8080/tcp"});
  CHECK(r->diff_ids == std::vector<std::string>{"sha256:" + hex('1')});
}

TEST_CASE("image config: null and absent fields are empty, wrong types are errors") {
  auto r = parse_image_config(R"({"config":{"Env":null,"Cmd":null}})");
  REQUIRE(r);
  CHECK(r->config.env.empty());
  CHECK(r->config.cmd.empty());
  CHECK(parse_image_config("{}"));
  CHECK_FALSE(parse_image_config(R"({"config":{"Cmd":"echo"}})"));
  CHECK_FALSE(parse_image_config(R"({"rootfs":{"diff_ids":["md5:x"]}})"));
  CHECK_FALSE(parse_image_config("[1,2"));
}

TEST_CASE("repositories.json round-trips") {
  Repositories repos;
  repos.tags["localhost:5000/x/y:z"] = "sha256:" + hex('9');
  ImageRecord rec;
  rec.layers = {hex('1'), hex('2')};
  rec.config.env = {"A=1"};
  rec.config.exposed_ports = {"80/tcp"};
  rec.config.user = "1000";
  rec.created = "2026-01-01T00:00:00Z";
  rec.size = 12345;
  repos.images["sha256:" + hex('9')] = rec;
  auto back = parse_repositories(dump_repositories(repos));
  REQUIRE(back);
  CHECK(back->tags == repos.tags);
  const auto& b = back->images.at("sha256:" + hex('9'));
  CHECK(b.layers == rec.layers);
  CHECK(b.config.env == rec.config.env);
  CHECK(b.config.exposed_ports == rec.config.exposed_ports);
  CHECK(b.config.user == "1000");
  CHECK(b.created == rec.created);
  CHECK(b.size == 12345);
  CHECK_FALSE(parse_repositories("{\"tags\":{}}"));
}
