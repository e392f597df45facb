#include <catch2/catch.hpp>

#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;

namespace {

std::vector<Port> ports_of(const std::string& spec) {
  auto p = load_text("services:\n  web:\n    image: nginx\n    ports:\n      - " + spec + "\n");
  if (!p) FAIL(p.error().message);
  return p->services.at("web").ports;
}

}  // namespace

TEST_CASE("ports: short syntax forms", "[ports]") {
  auto a = ports_of("\"80\"");
  REQUIRE(a.size() == 1);
  CHECK(a[0].target == 80);
  CHECK(a[0].published == "");
  CHECK(a[0].protocol == "tcp");
  CHECK(a[0].mode == "ingress");

  auto b = ports_of("8080:80");
  REQUIRE(b.size() == 1);
  CHECK(b[0].published == "8080");
  CHECK(b[0].target == 80);

  auto c = ports_of("127.0.0.1:8080:80");
  CHECK(c[0].host_ip == "127.0.0.1");
  CHECK(c[0].published == "8080");

  auto d = ports_of("\"53:53/udp\"");
  CHECK(d[0].protocol == "udp");

  auto e = ports_of("\"[::1]:6001:6001\"");
  CHECK(e[0].host_ip == "::1");
  CHECK(e[0].published == "6001");

  auto f = ports_of("\"127.0.0.1::80\"");
  CHECK(f[0].host_ip == "127.0.0.1");
  CHECK(f[0].published == "");
}

TEST_CASE("ports: ranges are expanded", "[ports]") {
  auto a = ports_of("8000-8002:80-82");
  REQUIRE(a.size() == 3);
  CHECK(a[0].published == "8000");
  CHECK(a[0].target == 80);
  CHECK(a[2].published == "8002");
  CHECK(a[2].target == 82);

  auto b = ports_of("\"3000-3001\"");
  REQUIRE(b.size() == 2);
  CHECK(b[1].target == 3001);

  auto c = ports_of("9000-9002:80");  // a host range for one container port
  REQUIRE(c.size() == 1);
  CHECK(c[0].published == "9000-9002");
}

TEST_CASE("ports: long syntax", "[ports]") {
  auto p = load_text(
      "services:\n  web:\n    image: nginx\n    ports:\n"
      "      - target: 80\n        published: 8080\n        host_ip: 127.0.0.1\n        protocol: udp\n        mode: host\n");
  REQUIRE(p);
  const auto& port = p->services.at("web").ports.at(0);
  CHECK(port.target == 80);
  CHECK(port.published == "8080");
  CHECK(port.host_ip == "127.0.0.1");
  CHECK(port.protocol == "udp");
  CHECK(port.mode == "host");
}

TEST_CASE("ports: an invalid port names file, line, column and path", "[ports][errors]") {
  std::string text =
      "services:\n"
      "  web:\n"
      "    image: nginx\n"
      "    ports:\n"
      "      - 8080:80\n"
      "      - 80800\n";
  CHECK(error_of(text) == "stack.yaml:6:9: services.web.ports[1]: invalid port \"80800\"");
  CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [\"8080:70000\"]\n") ==
        "stack.yaml:4:13: services.web.ports[0]: invalid port \"70000\" in \"8080:70000\"");
  CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [\"80/icmp\"]\n").find("invalid protocol") !=
        std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [\"8000-8001:80-83\"]\n").find("ranges do not match") !=
        std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [{published: 80}]\n").find("missing \"target\"") !=
        std::string::npos);
}

TEST_CASE("expose: ports and ranges as strings", "[ports]") {
  auto p = load_text("services:\n  web:\n    image: nginx\n    expose: [3000, \"8000-8010/udp\"]\n");
  REQUIRE(p);
  CHECK(p->services.at("web").expose == std::vector<std::string>{"3000", "8000-8010/udp"});
  CHECK(error_of("services:\n  web:\n    image: nginx\n    expose: [\"99999\"]\n").find("invalid port") != std::string::npos);
}

TEST_CASE("volumes: short syntax bind, named, anonymous, modes", "[volumes]") {
  auto p = load_text(
      "services:\n  web:\n    image: nginx\n    volumes:\n"
      "      - ./data:/data\n"
      "      - db:/var/lib/db:ro\n"
      "      - /cache\n"
      "      - /etc/hosts:/h:ro,z\n"
      "volumes:\n  db:\n",
      options("/srv/proj"));
  REQUIRE(p);
  const auto& v = p->services.at("web").volumes;
  REQUIRE(v.size() == 4);
  CHECK(v[0].type == "bind");
  CHECK(v[0].source == "/srv/proj/data");  // the project dir: the working dir for "stack.yaml"
  CHECK(v[0].create_host_path == true);
  CHECK(v[1].type == "volume");
  CHECK(v[1].source == "db");
  CHECK(v[1].read_only);
  CHECK(v[2].type == "volume");
  CHECK(v[2].source.empty());
  CHECK(v[2].target == "/cache");
  CHECK(v[3].selinux == "z");
  CHECK(v[3].read_only);
  CHECK(p->volumes.at("db").name == p->name + "_db");
}

TEST_CASE("volumes: relative binds resolve against the project directory", "[volumes]") {
  LoadOptions o = options("/work/x");
  o.project_directory = "/srv/app";
  auto p = load_text("services:\n  web:\n    image: nginx\n    volumes: [\"../shared:/s\", \"./a/../b:/b\"]\n", o);
  REQUIRE(p);
  CHECK(p->services.at("web").volumes[0].source == "/srv/shared");
  CHECK(p->services.at("web").volumes[1].source == "/srv/app/b");
}

TEST_CASE("volumes: long syntax bind, volume and tmpfs", "[volumes]") {
  auto p = load_text(
      "services:\n  web:\n    image: nginx\n    volumes:\n"
      "      - {type: bind, source: /src, target: /dst, read_only: true, bind: {create_host_path: false, propagation: rslave}}\n"
      "      - {type: volume, source: db, target: /db, volume: {nocopy: true}}\n"
      "      - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}\n"
      "volumes: {db: {}}\n");
  REQUIRE(p);
  const auto& v = p->services.at("web").volumes;
  CHECK(v[0].read_only);
  CHECK(v[0].create_host_path == false);
  CHECK(v[0].propagation == "rslave");
  CHECK(v[1].nocopy);
  CHECK(v[2].tmpfs_size == 64 << 20);
  CHECK(v[2].tmpfs_mode == 1777);
}

TEST_CASE("volumes: errors", "[volumes][errors]") {
  CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [\"db:/data\"]\n") ==
        "stack.yaml:4:15: services.web.volumes[0]: volume \"db\" is not defined in the top-level volumes");
  CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [\"./a:data\"]\n").find("must be an absolute path") !=
        std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [\"./a:/data:rx\"]\n").find("unknown volume option \"rx\"") !=
        std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [{type: npipe, target: /x}]\n").find("not supported") !=
        std::string::npos);
  CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [\"/a:/x\", \"/b:/x\"]\n").find("duplicate mount target") !=
        std::string::npos);
}

TEST_CASE("tmpfs: string or list of absolute paths", "[volumes]") {
  auto p = load_text("services:\n  web:\n    image: nginx\n    tmpfs: /run\n");
  REQUIRE(p);
  CHECK(p->services.at("web").tmpfs == std::vector<std::string>{"/run"});
  CHECK(error_of("services:\n  web:\n    image: nginx\n    tmpfs: [run]\n").find("absolute") != std::string::npos);
}
