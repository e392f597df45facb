// userns_mode: host (default), auto, auto:size=N; everything else refused at file:line:col.
#include <catch2/catch.hpp>

#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;

namespace {

std::string with(const std::string& fields) { return "services:\n  web:\n    image: x\n" + fields; }

}  // namespace

TEST_CASE("userns_mode: host and unset keep the host's namespace; auto asks for 65536 ids", "[service][userns]") {
  auto p = load_text(with("    userns_mode: auto\n") + "  db:\n    image: x\n    userns_mode: host\n" +
                     "  big:\n    image: x\n    userns_mode: \"auto:size=131072\"\n  plain:\n    image: x\n");
  REQUIRE(p);
  CHECK(p->services.at("web").userns_size == 65536);
  CHECK(p->services.at("web").userns_mode == "auto");
  CHECK(p->services.at("db").userns_size == 0);
  CHECK(p->services.at("big").userns_size == 131072);
  CHECK(p->services.at("plain").userns_size == 0);
  CHECK(p->services.at("plain").userns_mode.empty());
}

TEST_CASE("userns_mode: config prints it as written", "[service][userns]") {
  auto p = load_text(with("    userns_mode: auto:size=1024\n"));
  REQUIRE(p);
  auto j = to_json(*p);
  CHECK(j["services"]["web"]["userns_mode"] == "auto:size=1024");
  auto host = load_text(with(""));
  REQUIRE(host);
  CHECK_FALSE(to_json(*host)["services"]["web"].contains("userns_mode"));
}

TEST_CASE("userns_mode: bad values are refused with file:line:col", "[service][userns]") {
  CHECK(error_of(with("    userns_mode: private\n")) ==
        "stack.yaml:4:18: services.web.userns_mode: userns_mode \"private\" is not supported by stack "
        "(host, auto, auto:size=N)");
  CHECK(error_of(with("    userns_mode: keep-id\n")).find("is not supported by stack") != std::string::npos);
  CHECK(error_of(with("    userns_mode: hots\n")) ==
        "stack.yaml:4:18: services.web.userns_mode: invalid userns_mode \"hots\" (host, auto, auto:size=N)");
  CHECK(error_of(with("    userns_mode: auto:size=0\n")) ==
        "stack.yaml:4:18: services.web.userns_mode: invalid userns_mode size \"0\" (1 to 16777216 ids)");
  CHECK(error_of(with("    userns_mode: auto:size=12x\n")).find("invalid userns_mode size \"12x\"") !=
        std::string::npos);
  CHECK(error_of(with("    userns_mode: auto:size=99999999999\n")).find("invalid userns_mode size") !=
        std::string::npos);
  CHECK(error_of(with("    userns_mode: \"auto:uidmapping=0:1000:1\"\n")) ==
        "stack.yaml:4:18: services.web.userns_mode: userns_mode option \"uidmapping=0:1000:1\" is not supported by "
        "stack (host, auto, auto:size=N)");
  CHECK(error_of(with("    userns_mode: [auto]\n")).rfind("stack.yaml:4:18: services.web.userns_mode:", 0) == 0);
}

TEST_CASE("userns_mode auto: refused with privileged and with a network namespace made outside it",
          "[service][userns]") {
  CHECK(error_of(with("    userns_mode: auto\n    privileged: true\n"))
            .rfind("stack.yaml:4:18: services.web.userns_mode: userns_mode \"auto\" cannot be used with privileged: "
                   "true",
                   0) == 0);
  CHECK(error_of(with("    userns_mode: auto\n    network_mode: host\n"))
            .find("cannot be used with network_mode \"host\"") != std::string::npos);
  CHECK(error_of(with("    userns_mode: auto\n    network_mode: service:db\n") + "  db:\n    image: x\n")
            .find("cannot be used with network_mode \"service:db\"") != std::string::npos);
  CHECK(load_text(with("    userns_mode: host\n    privileged: true\n    network_mode: host\n")));
  CHECK(load_text(with("    userns_mode: auto\n    network_mode: none\n")));
}
