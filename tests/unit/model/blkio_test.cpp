// blkio_config: every compose sub-key, sizes for byte rates, errors at file:line:col.
#include <catch2/catch.hpp>

#include "tests/unit/model/helpers.hpp"

using namespace stack::model;
using namespace stack::model::test;

namespace {

const char kBase[] = "services:\n  web:\n    image: x\n    blkio_config:\n";

}  // namespace

TEST_CASE("service: blkio_config, all keys", "[service][blkio]") {
  auto p = load_text(std::string(kBase) +
                     "      weight: 300\n"
                     "      weight_device: [{path: /dev/sda, weight: 400}]\n"
                     "      device_read_bps: [{path: /dev/sda, rate: 1mb}]\n"
                     "      device_write_bps:\n        - path: /dev/loop3\n          rate: 2048\n"
                     "      device_read_iops: [{path: /dev/sda, rate: 120}]\n"
                     "      device_write_iops: [{path: /dev/sdb, rate: 30}]\n");
  if (!p) FAIL(p.error().message);
  const BlkioConfig& b = *p->services.at("web").blkio_config;
  CHECK(b.weight == 300);
  REQUIRE(b.weight_device.size() == 1);
  CHECK(b.weight_device[0].path == "/dev/sda");
  CHECK(b.weight_device[0].value == 400);
  CHECK(b.device_read_bps[0].value == 1024 * 1024);
  CHECK(b.device_write_bps[0].path == "/dev/loop3");
  CHECK(b.device_write_bps[0].value == 2048);
  CHECK(b.device_read_iops[0].value == 120);
  CHECK(b.device_write_iops[0].path == "/dev/sdb");
}

TEST_CASE("service: blkio_config errors name the place and the key", "[service][blkio]") {
  std::string e = error_of(std::string(kBase) + "      weight: 5\n");
  CHECK(e.find("stack.yaml:5:15") != std::string::npos);
  CHECK(e.find("blkio_config.weight") != std::string::npos);
  e = error_of(std::string(kBase) + "      device_write_bps: [{path: /dev/sda}]\n");
  CHECK(e.find("needs both path and rate") != std::string::npos);
  e = error_of(std::string(kBase) + "      device_write_bps: [{path: sda, rate: 1mb}]\n");
  CHECK(e.find("absolute device path") != std::string::npos);
  e = error_of(std::string(kBase) + "      device_read_iops: [{path: /dev/sda, rate: 1mb}]\n");
  CHECK(e.find("device_read_iops[0].rate") != std::string::npos);
  e = error_of(std::string(kBase) + "      device_read_bps: [{path: /dev/sda, rate: 0}]\n");
  CHECK(e.find("positive") != std::string::npos);
  e = error_of(std::string(kBase) + "      bogus: 1\n");
  CHECK(e.find("bogus") != std::string::npos);
}
