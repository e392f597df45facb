#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <chrono>

#include "engine/base/file.hpp"
#include "tests/support/testing.hpp"
#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;
using stack::testing::TempDir;

namespace {

void write(const std::string& path, const std::string& text) {
  REQUIRE(stack::write_file_atomic(path, text));
}

const char* kMinimal = "services:\n  web:\n    image: nginx\n";

}  // namespace

TEST_CASE("load: the project name: -p, COMPOSE_PROJECT_NAME, name:, directory", "[load][name]") {
  LoadOptions o = options("/srv/My App.v2");
  auto dir = load_text(kMinimal, o);
  REQUIRE(dir);
  CHECK(dir->name == "myappv2");  // normalised as compose does
  auto named = load_text(std::string("name: fromfile\n") + kMinimal, o);
  CHECK(named->name == "fromfile");
  o.environment["COMPOSE_PROJECT_NAME"] = "fromenv";
  CHECK(load_text(std::string("name: fromfile\n") + kMinimal, o)->name == "fromenv");
  o.project_name = "fromflag";
  CHECK(load_text(std::string("name: fromfile\n") + kMinimal, o)->name == "fromflag");
  o.project_name = "Bad Name";
  CHECK(error_of(kMinimal, o).find("invalid project name \"Bad Name\"") != std::string::npos);
  CHECK(error_of(kMinimal, options("/srv/__")).find("cannot derive a project name") != std::string::npos);
  CHECK(error_of(std::string("name: _x\n") + kMinimal).find("stack.yaml:1:7: name: invalid project name") == 0);
}

TEST_CASE("load: interpolation from .env, the process environment wins", "[load][env]") {
  TempDir dir("stack-model-test");
  write(dir.path() + "/.env", "TAG=fromdotenv\nPORT=8080\nONLY_DOTENV=yes\n");
  LoadOptions o = options(dir.path());
  o.environment = {{"TAG", "fromhost"}};
  auto p = load_text(
      "services:\n  web:\n    image: nginx:${TAG}\n    ports: [\"${PORT}:80\"]\n"
      "    environment: {A: \"$ONLY_DOTENV\", B: \"$$literal\", C: \"${UNSET:-dflt}\"}\n",
      o);
  REQUIRE(p);
  const auto& s = p->services.at("web");
  CHECK(s.image == "nginx:fromhost");
  CHECK(s.ports.at(0).published == "8080");
  CHECK(s.environment.at("A") == "yes");
  CHECK(s.environment.at("B") == "$literal");
  CHECK(s.environment.at("C") == "dflt");
}

TEST_CASE("load: --env-file replaces .env", "[load][env]") {
  TempDir dir("stack-model-test");
  write(dir.path() + "/.env", "TAG=fromdotenv\n");
  write(dir.path() + "/other.env", "TAG=fromother\n");
  LoadOptions o = options(dir.path());
  o.env_files = {"other.env"};
  CHECK(load_text("services:\n  web:\n    image: nginx:${TAG}\n", o)->services.at("web").image == "nginx:fromother");
  o.env_files = {"missing.env"};
  CHECK(error_of(kMinimal, o).find("missing.env") != std::string::npos);
}

TEST_CASE("load: interpolation errors carry the position; keys are not interpolated", "[load][env]") {
  CHECK(error_of("services:\n  web:\n    image: \"${IMG:?image is required}\"\n").rfind(
            "stack.yaml:3:12: services.web.image: ", 0) == 0);
  CHECK(error_of("services:\n  web:\n    image: \"${IMG:?image is required}\"\n").find("image is required") !=
        std::string::npos);
  LoadOptions o = options();
  o.environment = {{"K", "v"}};
  auto p = load_text("services:\n  web:\n    image: x\n    labels:\n      $K: $K\n", o);
  REQUIRE(p);
  CHECK(p->services.at("web").labels.at("$K") == "v");
}

TEST_CASE("load: an unset variable warns", "[load][env]") {
  auto p = load_text("services:\n  web:\n    image: \"nginx:${NOPE_NOT_SET}\"\n");
  REQUIRE(p);
  CHECK(p->services.at("web").image == "nginx:");
  REQUIRE(p->warnings.size() == 1);
  CHECK(p->warnings[0].find("NOPE_NOT_SET") != std::string::npos);
}

TEST_CASE("load: env_file string, list, long form with required: false", "[load][env]") {
  TempDir dir("stack-model-test");
  write(dir.path() + "/a.env", "A=1\nSHARED=from_a\n");
  write(dir.path() + "/b.env", "B=2\nSHARED=from_b\n");
  LoadOptions o = options(dir.path());
  auto p = load_text(
      "services:\n  web:\n    image: x\n    env_file:\n      - a.env\n      - path: ./b.env\n"
      "      - path: missing.env\n        required: false\n    environment: {A: override}\n",
      o);
  REQUIRE(p);
  const auto& env = p->services.at("web").environment;
  CHECK(env.at("A") == "override");  // environment wins over env_file
  CHECK(env.at("B") == "2");
  CHECK(env.at("SHARED") == "from_b");  // later env_file wins
  auto one = load_text("services:\n  web:\n    image: x\n    env_file: a.env\n", o);
  CHECK(one->services.at("web").environment.at("A") == "1");
  std::string missing = error_of("services:\n  web:\n    image: x\n    env_file: [nope.env]\n", o);
  CHECK(missing.rfind("stack.yaml:4:16: services.web.env_file[0]: env file " + dir.path() + "/nope.env", 0) == 0);
}

TEST_CASE("load: profiles leave inactive services out", "[load][profiles]") {
  std::string text =
      "services:\n  web:\n    image: x\n  debug:\n    image: x\n    profiles: [debug]\n"
      "  tools:\n    image: x\n    profiles: [tools, debug]\n";
  auto none = load_text(text);
  REQUIRE(none);
  CHECK(none->services.size() == 1);
  CHECK(none->all_profiles == std::set<std::string>{"debug", "tools"});
  CHECK(none->disabled_services.size() == 2);
  LoadOptions o = options();
  o.profiles = {"tools"};
  CHECK(load_text(text, o)->services.size() == 2);
  o.profiles = {};
  o.environment = {{"COMPOSE_PROFILES", "debug"}};
  CHECK(load_text(text, o)->services.size() == 3);
  o.environment = {};
  o.profiles = {"*"};
  CHECK(load_text(text, o)->services.size() == 3);
  CHECK(error_of("services:\n  web:\n    image: x\n    depends_on: [dbg]\n  dbg:\n    image: x\n    profiles: [d]\n")
            .find("not enabled by the active profiles") != std::string::npos);
}

TEST_CASE("load: version warns, name and x- keys at the top", "[load]") {
  auto p = load_text(std::string("version: \"3.8\"\n") + kMinimal);
  REQUIRE(p);
  REQUIRE(p->warnings.size() == 1);
  CHECK(p->warnings[0] == "stack.yaml:1:10: the attribute `version` is obsolete and ignored");
}

TEST_CASE("load: merging -f files with compose's rules", "[load][merge]") {
  std::vector<Document> docs = {
      {"base.yaml",
       "services:\n  web:\n    image: nginx:1\n    command: [a, b]\n    ports: [\"80:80\"]\n"
       "    environment: {A: 1, B: 2}\n    volumes: [\"/x:/data\", \"/y:/keep\"]\n    dns: [1.1.1.1]\n"
       "    labels: [l1=a]\n    depends_on: [db]\n    healthcheck: {test: [CMD, a], interval: 5s}\n"
       "  db:\n    image: postgres\n"},
      {"override.yaml",
       "services:\n  web:\n    image: nginx:2\n    command: c\n    ports: [\"80:80\", \"443:443\"]\n"
       "    environment: [B=3, C=4]\n    volumes: [\"/z:/data\"]\n    dns: [1.1.1.1, 8.8.8.8]\n"
       "    labels: {l2: b}\n    depends_on: {db: {condition: service_healthy}}\n    healthcheck: {test: [CMD, b]}\n"
       "  cache:\n    image: redis\n"}};
  auto p = load_documents(docs, options());
  REQUIRE(p);
  const auto& s = p->services.at("web");
  CHECK(s.image == "nginx:2");
  CHECK(*s.command == std::vector<std::string>{"c"});
  REQUIRE(s.ports.size() == 2);  // appended, the same one not twice
  CHECK(s.ports[1].target == 443);
  CHECK(s.environment.at("A") == "1");
  CHECK(s.environment.at("B") == "3");
  CHECK(s.environment.at("C") == "4");
  REQUIRE(s.volumes.size() == 2);  // merged by target
  CHECK(s.volumes[0].source == "/z");
  CHECK(s.volumes[1].target == "/keep");
  CHECK(s.dns == std::vector<std::string>{"1.1.1.1", "8.8.8.8"});
  CHECK(s.labels.size() == 2);
  CHECK(s.depends_on.at("db").condition == "service_healthy");
  CHECK(s.healthcheck->test == std::vector<std::string>{"CMD", "b"});
  CHECK(s.healthcheck->interval_ns == 5'000'000'000LL);
  CHECK(p->services.count("cache"));
  // Later errors still name the file that wrote the value.
  docs[1].text = "services:\n  web:\n    ports: [\"99999\"]\n";
  auto bad = load_documents(docs, options());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.rfind("override.yaml:3:13: services.web.ports[1]: invalid port \"99999\"", 0) == 0);
}

TEST_CASE("load: discovery order and a missing file", "[load]") {
  TempDir dir("stack-model-test");
  LoadOptions o = options(dir.path());
  auto none = load(o);
  REQUIRE_FALSE(none);
  CHECK(none.error().message.find("no stack file found in " + dir.path()) != std::string::npos);
  write(dir.path() + "/compose.yaml", "services:\n  c:\n    image: x\n");
  write(dir.path() + "/docker-compose.yml", "services:\n  d:\n    image: x\n");
  CHECK(load(o)->services.count("c"));
  write(dir.path() + "/stack.yaml", kMinimal);
  auto p = load(o);
  REQUIRE(p);
  CHECK(p->services.count("web"));
  CHECK(p->files == std::vector<std::string>{dir.path() + "/stack.yaml"});
  o.files = {"nope.yaml"};
  auto missing = load(o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("nope.yaml") != std::string::npos);
  CHECK(missing.error().message.find("No such file") != std::string::npos);
}

TEST_CASE("to_json: the shape of docker compose config", "[json]") {
  auto p = load_text(
      "name: demo\nservices:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    depends_on: [db]\n"
      "    volumes: [\"./site:/usr/share/nginx/html:ro\", \"data:/data\"]\n"
      "  db:\n    image: postgres\nvolumes:\n  data:\n",
      options("/srv/demo"));
  REQUIRE(p);
  auto j = to_json(*p);
  CHECK(j["name"] == "demo");
  const auto& web = j["services"]["web"];
  CHECK(web["command"].is_null());
  CHECK(web["entrypoint"].is_null());
  CHECK(web["networks"] == nlohmann::json::parse(R"({"default": null})"));
  CHECK(web["ports"] == nlohmann::json::parse(R"([{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}])"));
  CHECK(web["depends_on"] == nlohmann::json::parse(R"({"db":{"condition":"service_started","required":true}})"));
  CHECK(web["volumes"][0] == nlohmann::json::parse(
                                 R"({"type":"bind","source":"/srv/demo/site","target":"/usr/share/nginx/html","read_only":true,"bind":{"create_host_path":true}})"));
  CHECK(web["volumes"][1] == nlohmann::json::parse(R"({"type":"volume","source":"data","target":"/data","volume":{}})"));
  CHECK(j["networks"]["default"]["name"] == "demo_default");
  CHECK(j["volumes"]["data"]["name"] == "demo_data");
}

TEST_CASE("to_yaml: parses back, strings that look like numbers stay strings", "[json]") {
  auto p = load_text(
      "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    environment: {A: \"true\", B: \"010\", "
      "C: \"a: b\", D: \"*x\", E: \"- y\", F: \"#c\", G: \"\", H: \"  lead\", I: \"multi\\nline\", J: \"'q'\", "
      "K: \"null\", L: \"1e3\", M: \"0x1f\", N: \"12:30\", O: \"~\", P: \"[a]\", Q: \"{b}\", R: \"!t\", S: \"%p\", T: \"@u\"}\n");
  REQUIRE(p);
  YAML::Node y = YAML::Load(to_yaml(*p));
  CHECK(y["services"]["web"]["ports"][0]["published"].Tag() == "!");  // quoted
  CHECK(y["services"]["web"]["environment"]["A"].Tag() == "!");
  CHECK(y["services"]["web"]["environment"]["B"].as<std::string>() == "010");
  CHECK(y["services"]["web"]["ports"][0]["target"].as<int>() == 80);
  // And the printed file loads again into the same model.
  auto again = load_text(to_yaml(*p));
  REQUIRE(again);
  CHECK(to_json(*again) == to_json(*p));
}

TEST_CASE("load: interpolation cannot blow up memory", "[load][limits]") {
  LoadOptions o = options();
  o.environment = {{"BIG", std::string(100000, 'x')}};
  std::string many;
  for (int i = 0; i < 1000; ++i) many += "$BIG";
  std::string msg = error_of("services:\n  web:\n    image: x\n    labels:\n      a: \"" + many + "\"\n", o);
  CHECK(msg.rfind("stack.yaml:5:10: services.web.labels.a: interpolated values would exceed the size budget", 0) == 0);
  auto fine = load_text("services:\n  web:\n    image: x\n    labels: {a: \"$BIG$BIG\"}\n", o);
  REQUIRE(fine);
  CHECK(fine->services.at("web").labels.at("a").size() == 200000);
}

TEST_CASE("load: port ranges cannot blow up memory", "[load][limits]") {
  std::string text = "services:\n  web:\n    image: x\n    ports:\n";
  for (int i = 0; i < 3; ++i) text += "      - \"1-65535\"\n";
  CHECK(error_of(text).find("more than 65536 ports") != std::string::npos);
}

TEST_CASE("load: merging large files stays fast", "[load][limits][merge]") {
  std::string a = "services:\n  web:\n    image: x\n    environment:\n";
  for (int i = 0; i < 50000; ++i) a += "      - K" + std::to_string(i) + "=v\n";
  std::string b = a;
  auto start = std::chrono::steady_clock::now();
  auto p = load_documents({Document{"a.yaml", a}, Document{"b.yaml", b}}, options());
  REQUIRE(p);
  CHECK(p->services.at("web").environment.size() == 50000);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("to_json: bytes from the environment that are not UTF-8 are replaced, never thrown", "[json]") {
  LoadOptions o = options();
  o.environment = {{"BAD", "a\xff" "b"}};
  auto p = load_text("services:\n  web:\n    image: x\n    environment: [BAD]\n    labels: {l: \"$BAD\"}\n", o);
  REQUIRE(p);
  std::string dumped;
  REQUIRE_NOTHROW(dumped = to_json(*p).dump());
  CHECK(to_json(*p)["services"]["web"]["labels"]["l"] == "a\xef\xbf\xbd" "b");
  CHECK_FALSE(load_text("services:\n  web:\n    image: \"\\ud800\"\n"));  // a lone surrogate escape
}
