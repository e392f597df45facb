#include <catch2/catch.hpp>

#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;

namespace {

Service one(const std::string& fields, LoadOptions o = options()) {
  auto p = load_text("services:\n  web:\n    image: nginx\n" + fields, o);
  if (!p) FAIL(p.error().message);
  return p->services.at("web");
}

}  // namespace

TEST_CASE("service: command and entrypoint, string split like a shell or list", "[service]") {
  auto s = one("    command: echo \"a b\" 'c d'\n    entrypoint: [/bin/sh, -c]\n");
  CHECK(*s.command == std::vector<std::string>{"echo", "a b", "c d"});
  CHECK(*s.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK_FALSE(one("").command.has_value());
  CHECK(error_of("services:\n  web:\n    image: x\n    command: echo \"open\n").find("cannot split") != std::string::npos);
}

TEST_CASE("service: environment as map or list, bare names from the environment", "[service][env]") {
  LoadOptions o = options();
  o.environment = {{"FROM_HOST", "h"}};
  auto a = one("    environment:\n      A: 1\n      B: \"two\"\n      FROM_HOST:\n      MISSING:\n", o);
  CHECK(a.environment.at("A") == "1");
  CHECK(a.environment.at("B") == "two");
  CHECK(a.environment.at("FROM_HOST") == "h");
  CHECK_FALSE(a.environment.at("MISSING").has_value());
  auto b = one("    environment:\n      - A=1\n      - B=x=y\n      - FROM_HOST\n      - EMPTY=\n", o);
  CHECK(b.environment.at("A") == "1");
  CHECK(b.environment.at("B") == "x=y");
  CHECK(b.environment.at("FROM_HOST") == "h");
  CHECK(b.environment.at("EMPTY") == "");
}

TEST_CASE("service: sizes in bytes, durations, cpus", "[service][units]") {
  auto s = one(
      "    mem_limit: 512m\n    memswap_limit: 1g\n    shm_size: 64M\n    cpus: 0.5\n"
      "    stop_grace_period: 1m30s\n    pids_limit: 100\n");
  CHECK(s.mem_limit == 512LL << 20);
  CHECK(s.memswap_limit == 1LL << 30);
  CHECK(s.shm_size == 64LL << 20);
  CHECK(s.cpus == Approx(0.5));
  CHECK(s.stop_grace_period_ns == 90'000'000'000LL);
  CHECK(s.pids_limit == 100);
  auto j = to_json(*load_text("services:\n  web:\n    image: x\n    mem_limit: 1.5G\n    stop_grace_period: 90s\n"));
  CHECK(j["services"]["web"]["mem_limit"] == "1610612736");
  CHECK(j["services"]["web"]["stop_grace_period"] == "1m30s");
  CHECK(error_of("services:\n  web:\n    image: x\n    mem_limit: 12q\n").rfind("stack.yaml:4:16: services.web.mem_limit: invalid size \"12q\"", 0) == 0);
}

TEST_CASE("service: healthcheck forms and Go durations", "[service]") {
  auto s = one("    healthcheck:\n      test: curl -f http://localhost\n      interval: 30s\n      timeout: 500ms\n      retries: 3\n      start_period: 1m\n");
  REQUIRE(s.healthcheck);
  CHECK(s.healthcheck->test == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost"});
  CHECK(s.healthcheck->retries == 3u);
  auto p = load_text("services:\n  web:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 90s\n      timeout: 500ms\n");
  REQUIRE(p);
  auto h = to_json(*p)["services"]["web"]["healthcheck"];
  CHECK(h["interval"] == "1m30s");
  CHECK(h["timeout"] == "500ms");
  CHECK(h["test"] == nlohmann::json::array({"CMD", "true"}));
  CHECK(one("    healthcheck:\n      disable: true\n").healthcheck->disable);
  CHECK(error_of("services:\n  web:\n    image: x\n    healthcheck:\n      test: [\"curl\"]\n").find("starts with \"CMD\"") != std::string::npos);
}

TEST_CASE("service: depends_on list and map forms", "[service][depends]") {
  auto p = load_text(
      "services:\n  web:\n    image: x\n    depends_on: [db]\n"
      "  api:\n    image: x\n    depends_on:\n      db: {condition: service_healthy, restart: true}\n      cache: {condition: service_started, required: false}\n"
      "  db:\n    image: x\n");
  REQUIRE(p);
  CHECK(p->services.at("web").depends_on.at("db").condition == "service_started");
  CHECK(p->services.at("web").depends_on.at("db").required);
  CHECK(p->services.at("api").depends_on.at("db").condition == "service_healthy");
  CHECK(p->services.at("api").depends_on.at("db").restart);
  CHECK_FALSE(p->services.at("api").depends_on.count("cache"));  // required: false and absent: dropped
  auto order = p->start_order();
  auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
  CHECK(pos("db") < pos("web"));
  CHECK(pos("db") < pos("api"));
}

TEST_CASE("service: depends_on errors: undefined, bad condition, cycles with their path", "[service][depends][errors]") {
  CHECK(error_of("services:\n  web:\n    image: x\n    depends_on: [db]\n") ==
        "stack.yaml:4:18: services.web.depends_on.db: service \"db\" is not defined");
  CHECK(error_of("services:\n  web:\n    image: x\n    depends_on: {db: {condition: healthy}}\n  db: {image: x}\n")
            .find("invalid condition \"healthy\"") != std::string::npos);
  std::string cycle = error_of(
      "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n");
  CHECK(cycle.find("dependency cycle: a -> b -> c -> a") != std::string::npos);
  CHECK(cycle.rfind("stack.yaml:10:18: services.c.depends_on.a: ", 0) == 0);
  CHECK(error_of("services:\n  a:\n    image: x\n    depends_on: [a]\n").find("dependency cycle: a -> a") != std::string::npos);
}

TEST_CASE("service: networks list/map, aliases, default network, network_mode", "[service][networks]") {
  auto p = load_text(
      "services:\n  web:\n    image: x\n    networks: [front]\n"
      "  api:\n    image: x\n    networks:\n      front: {aliases: [backend], ipv4_address: 10.5.0.5}\n"
      "  plain:\n    image: x\n"
      "  host:\n    image: x\n    network_mode: host\n"
      "networks:\n  front:\n    ipam: {config: [{subnet: 10.5.0.0/16}]}\n");
  REQUIRE(p);
  CHECK(p->services.at("web").networks.count("front"));
  CHECK(p->services.at("api").networks.at("front")->aliases == std::vector<std::string>{"backend"});
  CHECK(p->services.at("plain").networks.count("default"));
  CHECK(p->services.at("host").networks.empty());
  CHECK(p->networks.at("default").name == p->name + "_default");
  CHECK(p->networks.at("front").name == p->name + "_front");
  CHECK(p->networks.at("front").ipam.at(0).subnet == "10.5.0.0/16");
  CHECK(error_of("services:\n  web:\n    image: x\n    networks: [back]\n") ==
        "stack.yaml:4:16: services.web.networks.back: network \"back\" is not defined");
  CHECK(error_of("services:\n  web:\n    image: x\n    network_mode: host\n    networks: [a]\nnetworks: {a: {}}\n")
            .find("cannot be used together") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: x\n    network_mode: service:nope\n") ==
        "stack.yaml:4:19: services.web.network_mode: service \"nope\" is not defined");
}

TEST_CASE("service: deploy, ulimits, logging, extra_hosts, restart", "[service]") {
  auto s = one(
      "    deploy:\n      replicas: 2\n      resources:\n        limits: {cpus: '0.25', memory: 256M, pids: 50}\n"
      "      restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}\n"
      "    ulimits:\n      nproc: 65535\n      nofile: {soft: 20000, hard: 40000}\n"
      "    logging: {driver: json-file, options: {max-size: 10m, max-file: \"3\"}}\n"
      "    extra_hosts: [\"somehost:162.242.195.82\", \"other=10.0.0.1\"]\n"
      "    restart: on-failure:5\n");
  CHECK(s.replicas() == 2);
  CHECK(s.deploy->limits->memory == 256LL << 20);
  CHECK(s.deploy->limits->cpus == Approx(0.25));
  CHECK(s.deploy->restart_policy->max_attempts == 3u);
  CHECK(s.ulimits.at("nproc").single);
  CHECK(s.ulimits.at("nofile").hard == 40000);
  CHECK(s.logging->options.at("max-size") == "10m");
  CHECK(s.extra_hosts.at(0).host == "somehost");
  CHECK(s.extra_hosts.at(1).ip == "10.0.0.1");
  CHECK(s.restart == "on-failure:5");
  CHECK(error_of("services:\n  web:\n    image: x\n    restart: sometimes\n").find("invalid restart policy") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: x\n    logging: {driver: syslog}\n").find("not supported") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: x\n    ulimits: {nofile: {soft: 2, hard: 1}}\n").find("above the hard") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: x\n    deploy: {placement: {}}\n") ==
        "stack.yaml:4:14: services.web.deploy.placement: \"placement\" is not supported by stack (see docs/stack-file.md)");
}

TEST_CASE("service: types and ranges are checked", "[service][errors]") {
  CHECK(error_of("services:\n  web:\n    image: x\n    privileged: yes\n") ==
        "stack.yaml:4:17: services.web.privileged: expected true or false, got \"yes\"");
  CHECK(error_of("services:\n  web:\n    image: x\n    cpu_shares: -5\n").find("out of range") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: [x]\n") == "stack.yaml:3:12: services.web.image: expected a string, got a list");
  CHECK(error_of("services:\n  web:\n    command: x\n") == "stack.yaml:2:3: services.web: missing \"image\" (stack does not build images)");
  CHECK(error_of("services:\n  \"we b\":\n    image: x\n").find("invalid service name") != std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: x\n    container_name: \"/bad\"\n").find("invalid container name") != std::string::npos);
}

TEST_CASE("service: unknown keys and unsupported compose fields are named", "[service][errors]") {
  CHECK(error_of("services:\n  web:\n    image: x\n    imgae: y\n") == "stack.yaml:4:5: services.web.imgae: unknown key \"imgae\"");
  CHECK(error_of("services:\n  web:\n    image: x\n    build: .\n") ==
        "stack.yaml:4:5: services.web.build: \"build\" is not supported by stack (see docs/stack-file.md)");
  CHECK(error_of("services:\n  web:\n    image: x\nsecrets: {}\n") ==
        "stack.yaml:4:1: secrets: \"secrets\" is not supported by stack (see docs/stack-file.md)");
  CHECK(error_of("services: {}\nfoo: 1\n") == "stack.yaml:2:1: foo: unknown key \"foo\"");
  CHECK(error_of("services:\n  web:\n    image: x\nnetworks:\n  n: {driver: overlay}\n").find("not supported") != std::string::npos);
}

TEST_CASE("service: x- extensions are kept as JSON", "[service]") {
  auto p = load_text("x-common: &c {a: 1}\nservices:\n  web:\n    image: x\n    x-meta: {rate: 10mbit, burst: 32}\n");
  REQUIRE(p);
  const auto& x = p->services.at("web").extensions;
  CHECK(x["x-meta"]["rate"] == "10mbit");
  CHECK(x["x-meta"]["burst"] == 32);
  CHECK(p->extensions["x-common"]["a"] == 1);
  CHECK(to_json(*p)["services"]["web"]["x-meta"]["burst"] == 32);
}

TEST_CASE("service: signals, ulimits and capabilities are names the kernel knows", "[service][errors]") {
  auto s = one("    stop_signal: SIGUSR1\n    cap_add: [NET_ADMIN, cap_sys_time]\n    cap_drop: [ALL]\n");
  CHECK(s.stop_signal == "SIGUSR1");
  CHECK(s.cap_add.size() == 2);
  CHECK(one("    stop_signal: \"9\"\n").stop_signal == "9");
  CHECK(one("    stop_signal: RTMIN+3\n").stop_signal == "RTMIN+3");
  CHECK(error_of("services:\n  web:\n    image: x\n    stop_signal: SIGFOO\n") ==
        "stack.yaml:4:18: services.web.stop_signal: unknown signal \"SIGFOO\"");
  CHECK(error_of("services:\n  web:\n    image: x\n    cap_add: [NET_ADMN]\n") ==
        "stack.yaml:4:15: services.web.cap_add[0]: unknown capability \"NET_ADMN\"");
  CHECK(error_of("services:\n  web:\n    image: x\n    ulimits: {nofiles: 10}\n") ==
        "stack.yaml:4:15: services.web.ulimits.nofiles: unknown ulimit \"nofiles\"");
  CHECK(error_of("services:\n  web:\n    image: x\n    container_name: web\n    scale: 2\n").find("single replica") !=
        std::string::npos);
}

TEST_CASE("service: scale and deploy.replicas must agree", "[service][errors]") {
  CHECK(one("    scale: 3\n").replicas() == 3);
  CHECK(one("    scale: 2\n    deploy: {replicas: 2}\n").replicas() == 2);
  CHECK(error_of("services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n") ==
        "stack.yaml:2:3: services.web: scale and deploy.replicas disagree (2 vs 3)");
}

TEST_CASE("service: the x- anchor and merge key pattern", "[service][yaml]") {
  auto p = load_text(
      "x-common: &common\n  restart: always\n  environment: {A: \"1\", B: \"2\"}\n"
      "services:\n  web:\n    <<: *common\n    image: nginx\n    environment: {B: \"3\"}\n"
      "  api:\n    <<: *common\n    image: api\n");
  REQUIRE(p);
  const auto& web = p->services.at("web");
  CHECK(web.restart == "always");
  CHECK(web.environment.size() == 1);  // a written key replaces the merged one whole (YAML merge, not compose merge)
  CHECK(web.environment.at("B") == "3");
  CHECK(p->services.at("api").environment.at("A") == "1");
}

TEST_CASE("service: network_mode service:X implies depends_on X, as compose does", "[service][depends]") {
  auto p = load_text("services:\n  a:\n    image: x\n    network_mode: service:b\n  b:\n    image: x\n");
  REQUIRE(p);
  CHECK(p->services.at("a").depends_on.at("b").condition == "service_started");
  CHECK(error_of("services:\n  a:\n    image: x\n    network_mode: service:b\n  b:\n    image: x\n    depends_on: [a]\n")
            .find("dependency cycle") != std::string::npos);
}

TEST_CASE("service: cgroup_parent, relative or absolute, without empty or '..' components", "[service]") {
  CHECK(one("    cgroup_parent: ci/jobs\n").cgroup_parent == "ci/jobs");
  CHECK(one("    cgroup_parent: /system.slice\n").cgroup_parent == "/system.slice");
  CHECK(error_of("services:\n  web:\n    image: x\n    cgroup_parent: a/../b\n") ==
        "stack.yaml:4:20: services.web.cgroup_parent: invalid cgroup_parent \"a/../b\" (an empty, \".\" or \"..\" component)");
  CHECK(error_of("services:\n  web:\n    image: x\n    cgroup_parent: a//b\n").find("invalid cgroup_parent") != std::string::npos);
}
