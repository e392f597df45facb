// passwd/group parsing and Docker's user resolution rules, from strings.
#include <catch2/catch.hpp>

#include "engine/runtime/users.hpp"

using namespace stack::engine::runtime;

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "broken line\n"
    "web:x:33:33::/var/www:/bin/false\r\n";
const char* kGroup =
    "root:x:0:\n"
    "app:x:1000:\n"
    "audio:x:29:app,web\n"
    "www:x:33:\n"
    "staff:x:50:\n";
}  // namespace

TEST_CASE("passwd and group parsing", "[runtime]") {
  auto pw = parse_passwd(kPasswd);
  REQUIRE(pw.size() == 3);
  CHECK(pw[1].name == "app");
  CHECK(pw[1].uid == 1000);
  CHECK(pw[2].home == "/var/www");
  auto gr = parse_group(kGroup);
  REQUIRE(gr.size() == 5);
  CHECK(gr[2].members == std::vector<std::string>{"app", "web"});
}

TEST_CASE("user resolution: names, numbers, groups, group_add", "[runtime]") {
  auto pw = parse_passwd(kPasswd);
  auto gr = parse_group(kGroup);
  auto app = resolve_user("app", {}, pw, gr);
  REQUIRE(app);
  CHECK(app->user.uid == 1000);
  CHECK(app->user.gid == 1000);
  CHECK(app->user.additional_gids == std::vector<gid_t>{29});
  CHECK(app->home == "/home/app");

  auto num = resolve_user("4242", {}, pw, gr);  // a number need not be listed
  REQUIRE(num);
  CHECK(num->user.uid == 4242);
  CHECK(num->user.gid == 0);
  CHECK(num->home == "/");

  auto both = resolve_user("web:staff", {"www", "7"}, pw, gr);
  REQUIRE(both);
  CHECK(both->user.uid == 33);
  CHECK(both->user.gid == 50);
  CHECK(both->user.additional_gids == std::vector<gid_t>{33, 7});

  auto bad = resolve_user("nobody2", {}, pw, gr);
  REQUIRE(!bad);
  CHECK(bad.error().message == "no user 'nobody2' in the image's /etc/passwd");
  REQUIRE(!resolve_user("app:nogroup", {}, pw, gr));
  auto root = resolve_user("", {}, pw, gr);
  REQUIRE(root);
  CHECK(root->user.uid == 0);
  CHECK(root->home == "/root");
}
