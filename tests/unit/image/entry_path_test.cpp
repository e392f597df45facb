#include <catch2/catch.hpp>

#include "engine/image/import/entry_path.hpp"

using namespace stack::image;

TEST_CASE("entry paths are made relative to the layer") {
  CHECK(*clean_entry_path("bin/sh") == "bin/sh");
  CHECK(*clean_entry_path("./bin/sh") == "bin/sh");
  CHECK(*clean_entry_path("/etc/passwd") == "etc/passwd");
  CHECK(*clean_entry_path("//a//./b/") == "a/b");
  CHECK(*clean_entry_path("./") == ".");
  CHECK(*clean_entry_path("") == ".");
  CHECK(*clean_entry_path("a/..b/c..") == "a/..b/c..");
}

TEST_CASE("a '..' component is refused") {
  for (const char* bad : {"../evil", "a/../../evil", "/../etc", "a/..", ".."}) {
    INFO(bad);
    auto r = clean_entry_path(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("'..'") != std::string::npos);
  }
}

TEST_CASE("whiteouts map to overlayfs whiteouts") {
  auto w = classify_entry("etc/.wh.group");
  CHECK(w.kind == EntryKind::kWhiteout);
  CHECK(w.path == "etc/group");
  auto top = classify_entry(".wh.tmp");
  CHECK(top.kind == EntryKind::kWhiteout);
  CHECK(top.path == "tmp");
  auto o = classify_entry("var/www/.wh..wh..opq");
  CHECK(o.kind == EntryKind::kOpaque);
  CHECK(o.path == "var/www");
  auto root_opaque = classify_entry(".wh..wh..opq");
  CHECK(root_opaque.kind == EntryKind::kOpaque);
  CHECK(root_opaque.path == ".");
}

TEST_CASE("aufs bookkeeping is skipped, ordinary names kept") {
  CHECK(classify_entry(".wh..wh.plnk").kind == EntryKind::kSkip);
  CHECK(classify_entry("x/.wh..wh.aufs").kind == EntryKind::kSkip);
  CHECK(classify_entry("x/.wh.").kind == EntryKind::kNormal);
  CHECK(classify_entry("x/.wh.").path == "x/.wh.");
  CHECK(classify_entry("x/a.wh.b").kind == EntryKind::kNormal);
  CHECK(classify_entry("etc/passwd").kind == EntryKind::kNormal);
}
