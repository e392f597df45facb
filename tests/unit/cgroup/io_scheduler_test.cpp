// Block I/O weights need BFQ or CFQ on the device: a fake /sys tree stands in for the
// host's (whole disks with a queue, a partition that uses its disk's).
#include <catch2/catch.hpp>

#include <fstream>

#include "engine/cgroup/io_scheduler.hpp"
#include "tests/support/testing.hpp"

using namespace stack::cgroup;
using stack::testing::run;
using stack::testing::TempDir;

namespace {

void disk(const std::string& sys, const std::string& name, const std::string& devno, const std::string& sched) {
  std::string dir = sys + "/devices/" + name;
  run("mkdir -p " + dir + "/queue " + sys + "/block " + sys + "/dev/block");
  std::ofstream(dir + "/queue/scheduler") << sched << "\n";
  run("ln -s ../devices/" + name + " " + sys + "/block/" + name);
  run("ln -s ../../devices/" + name + " " + sys + "/dev/block/" + devno);
}

Requirement weight_of(std::vector<std::pair<uint32_t, uint32_t>> devices) {
  Requirement r{"blkio_config.weight", "blkio", {"blkio.bfq.weight"}, "no proportional I/O scheduler", false};
  r.needs_proportional_io = true;
  r.devices = std::move(devices);
  return r;
}

}  // namespace

TEST_CASE("the active scheduler is the bracketed one", "[cgroup][io]") {
  CHECK(active_scheduler("none mq-deadline kyber [bfq]\n") == "bfq");
  CHECK(active_scheduler("[none] mq-deadline kyber bfq") == "none");
  CHECK(active_scheduler("noop deadline [cfq]") == "cfq");
  CHECK(active_scheduler("none") == "");
}

TEST_CASE("weights are enforceable where BFQ or CFQ schedules the devices", "[cgroup][io]") {
  TempDir t("stack-io-sched");
  std::string sys = t.path() + "/sys";
  disk(sys, "vda", "254:0", "[none] mq-deadline kyber bfq");
  disk(sys, "sda", "8:0", "mq-deadline kyber [bfq] none");
  // A partition: its own directory under its disk, no queue of its own.
  run("mkdir -p " + sys + "/devices/sda/sda1 && ln -s ../../devices/sda/sda1 " + sys + "/dev/block/8:1");

  CHECK(proportional_io_active(weight_of({}), sys));  // sda has bfq
  CHECK(proportional_io_active(weight_of({{8, 0}}), sys));
  CHECK(proportional_io_active(weight_of({{8, 1}}), sys));
  CHECK_FALSE(proportional_io_active(weight_of({{254, 0}}), sys));
  CHECK_FALSE(proportional_io_active(weight_of({{8, 0}, {254, 0}}), sys));
  CHECK_FALSE(proportional_io_active(weight_of({{9, 9}}), sys));  // no such device

  TempDir none("stack-io-none");
  disk(none.path() + "/sys", "vda", "254:0", "[none] bfq");
  CHECK_FALSE(proportional_io_active(weight_of({}), none.path() + "/sys"));
  auto verdict = judge({weight_of({})}, Enforcement::kStrict, [](const std::string&) { return true; }, nullptr,
                       [&](const Requirement& r) { return proportional_io_active(r, none.path() + "/sys"); });
  REQUIRE_FALSE(verdict);
  CHECK(verdict.error().message ==
        "blkio_config.weight: cannot be enforced on this host: no proportional I/O scheduler");
}
