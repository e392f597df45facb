#include "cmd/apply_plan.hpp"

#include <catch2/catch.hpp>

#include "engine/model/load.hpp"

using namespace stack;
using stack::cli::config_hashes;

namespace {

model::Project load(const std::string& yaml) {
  model::LoadOptions o;
  o.working_dir = "/nonexistent-stack-test/proj";
  auto p = model::load_documents({model::Document{"stack.yaml", yaml}}, o);
  REQUIRE(p);
  return std::move(*p);
}

const char* kBase = R"(
services:
  web:
    image: busybox
    command: ["httpd", "-f"]
  db:
    image: busybox
    command: ["sleep", "1000"]
  cache:
    image: busybox
)";

}  // namespace

TEST_CASE("config hashes: one per service named, each its own service's and image's", "[apply]") {
  auto p = load(kBase);
  std::map<std::string, std::string> ids{{"web", "sha256:aa"}, {"db", "sha256:aa"}, {"cache", "sha256:aa"}};
  auto h = config_hashes(p, ids);
  REQUIRE(h.size() == 3);
  CHECK(h.at("web").size() == 64);
  CHECK(h.at("web") != h.at("db"));
  CHECK(config_hashes(p, {{"db", "sha256:aa"}}) == std::map<std::string, std::string>{{"db", h.at("db")}});
  CHECK(config_hashes(p, {}).empty());
  // Another image id is another hash; the same project loaded again, the same hashes.
  CHECK(config_hashes(p, {{"web", "sha256:bb"}}).at("web") != h.at("web"));
  CHECK(config_hashes(load(kBase), ids) == h);
}

TEST_CASE("config hashes: a change to one service changes its hash only; replicas and x-bandwidth none",
          "[apply]") {
  std::map<std::string, std::string> ids{{"web", "i"}, {"db", "i"}, {"cache", "i"}};
  auto before = config_hashes(load(kBase), ids);
  std::string changed = kBase;
  changed.replace(changed.find("\"sleep\", \"1000\""), 15, "\"sleep\", \"2000\"");
  auto after = config_hashes(load(changed), ids);
  CHECK(after.at("db") != before.at("db"));
  CHECK(after.at("web") == before.at("web"));
  CHECK(after.at("cache") == before.at("cache"));
  std::string scaled = std::string(kBase) + "    scale: 3\n";  // cache: scale 3
  CHECK(config_hashes(load(scaled), ids) == before);
  // deploy.replicas 2 -> 3: the same hash (compose too: only the count changes).
  std::string two = std::string(kBase) + "    deploy:\n      replicas: 2\n";
  std::string three = std::string(kBase) + "    deploy:\n      replicas: 3\n";
  CHECK(config_hashes(load(two), ids) == config_hashes(load(three), ids));
  std::string bw = std::string(kBase) + "    x-bandwidth:\n      egress: 10mbit\n";
  auto shaped = load(bw);
  CHECK(config_hashes(shaped, ids) == before);
}
