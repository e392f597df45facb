#include <catch2/catch.hpp>

#include "engine/image/metadata.hpp"

using namespace stack::image;

namespace {
ImageRecord rec(std::string layer) {
  ImageRecord r;
  r.layers = {std::move(layer)};
  return r;
}
}  // namespace

TEST_CASE("a tag moved to a new image drops the image no tag names any more") {
  Repositories repos;
  set_tag(repos, "a:1", "sha256:x", rec("l1"));
  set_tag(repos, "a:2", "sha256:x", rec("l1"));
  set_tag(repos, "b:1", "sha256:y", rec("l2"));
  CHECK(repos.images.size() == 2);
  set_tag(repos, "a:1", "sha256:z", rec("l3"));
  CHECK(repos.images.count("sha256:x") == 1);  // a:2 still names it
  set_tag(repos, "a:2", "sha256:z", rec("l3"));
  CHECK(repos.images.count("sha256:x") == 0);
  CHECK(repos.tags.at("a:1") == "sha256:z");
  CHECK(repos.images.size() == 2);
}

TEST_CASE("removing tags removes the image with its last tag") {
  Repositories repos;
  set_tag(repos, "a:1", "sha256:x", rec("l1"));
  set_tag(repos, "a:2", "sha256:x", rec("l1"));
  CHECK(remove_tag(repos, "a:1"));
  CHECK(repos.images.count("sha256:x") == 1);
  CHECK_FALSE(remove_tag(repos, "a:1"));
  CHECK(remove_tag(repos, "a:2"));
  CHECK(repos.images.empty());
  CHECK(repos.tags.empty());
}

TEST_CASE("an Image names absolute layer dirs in store order") {
  ImageRecord r;
  r.layers = {"aa", "bb"};
  r.config.cmd = {"sh"};
  r.size = 7;
  Image img = to_image("/var/lib/stack/images", "web", "1", "sha256:x", r);
  CHECK(img.ref() == "web:1");
  CHECK(img.layers == std::vector<std::string>{"/var/lib/stack/images/layers/aa", "/var/lib/stack/images/layers/bb"});
  CHECK(img.overlay_lowerdir() == "/var/lib/stack/images/layers/bb:/var/lib/stack/images/layers/aa");
  CHECK(img.config.cmd == std::vector<std::string>{"sh"});
  CHECK(img.size == 7);
}
