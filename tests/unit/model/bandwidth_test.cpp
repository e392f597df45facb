// x-bandwidth in the stack file: tc's units read into numbers, the per-network
// override, errors with file:line:col and the key path, and the normalised config form.
#include <catch2/catch.hpp>

#include "engine/model/bandwidth.hpp"
#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;

namespace {

Project load(const std::string& text) {
  auto p = load_text(text);
  if (!p) FAIL(p.error().message);
  return *p;
}

std::string service_with(const std::string& fields) { return "services:\n  web:\n    image: x\n" + fields; }

}  // namespace

TEST_CASE("x-bandwidth: rates and burst in tc's units", "[bandwidth]") {
  auto p = load(service_with("    x-bandwidth:\n      egress: 10mbit\n      ingress: 2.5MBps\n      burst: 32kb\n"));
  const Service& s = p.services.at("web");
  REQUIRE(s.bandwidth);
  CHECK(s.bandwidth->egress_bps == 10000000);
  CHECK(s.bandwidth->ingress_bps == 20000000);  // bytes per second, as tc reads "mbps"
  CHECK(s.bandwidth->burst_bytes == 32768);
  CHECK_FALSE(s.extensions.contains("x-bandwidth"));  // typed, not raw
  CHECK(bandwidth_on(s, "default") == *s.bandwidth);

  auto one = load(service_with("    x-bandwidth:\n      ingress: 1000000\n    x-other: {a: 1}\n"));
  const Service& o = one.services.at("web");
  CHECK_FALSE(o.bandwidth->egress_bps);
  CHECK(o.bandwidth->ingress_bps == 1000000);  // a bare number (also a YAML int) is bits
  CHECK_FALSE(o.bandwidth->burst_bytes);
  CHECK(o.extensions["x-other"]["a"] == 1);

  CHECK(load(service_with("    x-bandwidth: {}\n")).services.at("web").bandwidth->empty());
  CHECK(load(service_with("    x-bandwidth:\n")).services.at("web").bandwidth->empty());
  CHECK_FALSE(load(service_with("")).services.at("web").bandwidth);
  CHECK(bandwidth_on(load(service_with("")).services.at("web"), "default").empty());
}

TEST_CASE("x-bandwidth: a network entry's value replaces the service's on that network", "[bandwidth]") {
  auto p = load(
      "services:\n  web:\n    image: x\n    x-bandwidth: {egress: 1mbit, ingress: 2mbit}\n"
      "    networks:\n      front:\n        x-bandwidth: {ingress: 8mbit}\n      back:\n        aliases: [w]\n"
      "      free:\n        x-bandwidth: {}\n      plain:\n"
      "networks:\n  front: {}\n  back: {}\n  free: {}\n  plain: {}\n");
  const Service& s = p.services.at("web");
  CHECK(bandwidth_on(s, "front") == Bandwidth{std::nullopt, 8000000, std::nullopt});
  CHECK(bandwidth_on(s, "back") == Bandwidth{1000000, 2000000, std::nullopt});
  CHECK(bandwidth_on(s, "plain") == Bandwidth{1000000, 2000000, std::nullopt});
  CHECK(bandwidth_on(s, "free").empty());

  auto only_net = load(
      "services:\n  web:\n    image: x\n    networks:\n      front:\n        x-bandwidth:\n          egress: 3mbit\n"
      "networks:\n  front: {}\n");
  CHECK_FALSE(only_net.services.at("web").bandwidth);
  CHECK(bandwidth_on(only_net.services.at("web"), "front").egress_bps == 3000000);
}

TEST_CASE("x-bandwidth: bad values name file:line:col and the key", "[bandwidth]") {
  CHECK(error_of(service_with("    x-bandwidth:\n      egress: 10mbitz\n")) ==
        "stack.yaml:5:15: services.web.x-bandwidth.egress: invalid rate \"10mbitz\": unknown unit \"mbitz\"");
  CHECK(error_of(service_with("    x-bandwidth:\n      ingress: 0\n")) ==
        "stack.yaml:5:16: services.web.x-bandwidth.ingress: invalid rate \"0\": must be greater than zero");
  CHECK(error_of(service_with("    x-bandwidth:\n      ingress: -5mbit\n")) ==
        "stack.yaml:5:16: services.web.x-bandwidth.ingress: invalid rate \"-5mbit\": must be greater than zero");
  CHECK(error_of(service_with("    x-bandwidth:\n      egress: 1mbit\n      burst: 32kib\n")) ==
        "stack.yaml:6:14: services.web.x-bandwidth.burst: invalid size \"32kib\": unknown unit \"kib\"");
  CHECK(error_of(service_with("    x-bandwidth:\n      rate: 1mbit\n")) ==
        "stack.yaml:5:7: services.web.x-bandwidth.rate: unknown key \"rate\" in x-bandwidth (egress, ingress, burst)");
  CHECK(error_of(service_with("    x-bandwidth:\n      burst: 32kb\n")) ==
        "stack.yaml:5:14: services.web.x-bandwidth.burst: a burst needs a rate: egress, ingress or both");
  CHECK(error_of(service_with("    x-bandwidth: 10mbit\n")).rfind("stack.yaml:4:18: services.web.x-bandwidth: ", 0) == 0);
  CHECK(error_of(service_with("    x-bandwidth:\n      egress: [1mbit]\n")).rfind("stack.yaml:5:15: services.web.x-bandwidth.egress: ", 0) == 0);
  CHECK(error_of("services:\n  web:\n    image: x\n    networks:\n      front:\n        x-bandwidth: {egress: 5kb}\n"
                 "networks:\n  front: {}\n") ==
        "stack.yaml:6:31: services.web.networks.front.x-bandwidth.egress: invalid rate \"5kb\": unknown unit \"kb\"");
}

TEST_CASE("x-bandwidth: refused where the service has no link of its own", "[bandwidth]") {
  const char* bw = "    x-bandwidth: {egress: 1mbit}\n";
  CHECK(error_of(service_with(std::string("    network_mode: host\n") + bw)) ==
        "stack.yaml:5:5: services.web.x-bandwidth: x-bandwidth cannot be used with network_mode \"host\": it uses "
        "the host's network, so it has no link of its own to limit");
  CHECK(error_of(service_with(std::string(bw) + "    network_mode: none\n")) ==
        "stack.yaml:4:5: services.web.x-bandwidth: x-bandwidth cannot be used with network_mode \"none\": it has "
        "no network, so it has no link of its own to limit");
  CHECK(error_of("services:\n  db:\n    image: x\n  web:\n    image: x\n    network_mode: service:db\n" + std::string(bw)) ==
        "stack.yaml:7:5: services.web.x-bandwidth: x-bandwidth cannot be used with network_mode \"service:db\": it "
        "shares the network namespace of db, so it has no link of its own to limit");
  CHECK(error_of(service_with(std::string("    network_mode: container:abc\n") + bw)).find("not supported") !=
        std::string::npos);
  // bridge is the default network: a link of its own.
  CHECK(load(service_with(std::string("    network_mode: bridge\n") + bw)).services.at("web").bandwidth->egress_bps ==
        1000000);
}

TEST_CASE("x-bandwidth: config prints it normalised, and that loads back the same", "[bandwidth]") {
  auto p = load(
      "services:\n  web:\n    image: x\n    x-bandwidth: {egress: 1.5mbit, ingress: 1kibps, burst: 1.5k}\n"
      "    networks:\n      front:\n        x-bandwidth: {ingress: 1gbit}\n"
      "networks:\n  front: {}\n");
  auto j = to_json(p);
  CHECK(j["services"]["web"]["x-bandwidth"] ==
        nlohmann::json{{"egress", "1500000bit"}, {"ingress", "8192bit"}, {"burst", "1536b"}});
  CHECK(j["services"]["web"]["networks"]["front"]["x-bandwidth"] == nlohmann::json{{"ingress", "1000000000bit"}});
  auto again = load(
      "services:\n  web:\n    image: x\n    x-bandwidth: {egress: 1500000bit, ingress: 8192bit, burst: 1536b}\n");
  CHECK(again.services.at("web").bandwidth == p.services.at("web").bandwidth);
  CHECK(to_json(load(service_with("    x-bandwidth: {}\n")))["services"]["web"]["x-bandwidth"] == nlohmann::json::object());
}
