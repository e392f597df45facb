#include <catch2/catch.hpp>

#include "engine/image/store.hpp"

using stack::image::parse_reference;

TEST_CASE("a bare name means :latest, like docker") {
  auto r = parse_reference("busybox");
  REQUIRE(r);
  CHECK(r->name == "busybox");
  CHECK(r->tag == "latest");
  CHECK(r->digest.empty());
  CHECK(r->str() == "busybox:latest");
}

TEST_CASE("name:tag") {
  auto r = parse_reference("busybox:1");
  REQUIRE(r);
  CHECK(r->name == "busybox");
  CHECK(r->tag == "1");
}

TEST_CASE("a registry port is not a tag") {
  auto r = parse_reference("localhost:5000/x/y:z");
  REQUIRE(r);
  CHECK(r->name == "localhost:5000/x/y");
  CHECK(r->tag == "z");
  auto no_tag = parse_reference("localhost:5000/x/y");
  REQUIRE(no_tag);
  CHECK(no_tag->name == "localhost:5000/x/y");
  CHECK(no_tag->tag == "latest");
  auto host = parse_reference("ghcr.io/org/app_1.two-three:v1.2");
  REQUIRE(host);
  CHECK(host->name == "ghcr.io/org/app_1.two-three");
  CHECK(host->tag == "v1.2");
}

TEST_CASE("name@digest keeps the digest and no default tag") {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = parse_reference("x@" + d);
  REQUIRE(r);
  CHECK(r->name == "x");
  CHECK(r->tag.empty());
  CHECK(r->digest == d);
  CHECK(r->str() == "x@" + d);
  auto both = parse_reference("x:1@" + d);
  REQUIRE(both);
  CHECK(both->tag == "1");
  CHECK(both->digest == d);
}

TEST_CASE("invalid references are refused with the reason") {
  for (const char* bad : {"", "Busybox", "busy box", "x:", ":tag", "x@sha256:abc", "x@md5:" , "a//b", "-x",
                          "x:-1", "x:.y", "/x", "x/", "x@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    INFO(bad);
    auto r = parse_reference(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("invalid image reference") != std::string::npos);
  }
  auto upper = parse_reference("Busybox");
  REQUIRE_FALSE(upper);
  CHECK(upper.error().message.find("lowercase") != std::string::npos);
}

TEST_CASE("overlay lowerdir lists the topmost layer first") {
  stack::image::Image img;
  img.layers = {"/s/l/base", "/s/l/mid", "/s/l/top"};
  CHECK(img.overlay_lowerdir() == "/s/l/top:/s/l/mid:/s/l/base");
}
