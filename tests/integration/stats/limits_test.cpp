// Limits through `stack up -d`: a limit the host cannot enforce (pids_limit where the
// pids controller is not mounted) is an error naming the limit and the reason, or a
// warning with --ignore-unenforced-limits or the service's x-stack-ignore-unenforced-limits; blkio_config's device_write_bps throttles direct
// writes to a real block device (a loop device this test makes and always removes).
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "tests/integration/stats/fixture.hpp"

using stack::stats_test::StackFixture;
using stack::testing::run;

namespace {

// A host without the pids controller: `cmd` runs in a mount namespace of its own in which
// the v1 pids hierarchy is unmounted, so the cgroup driver (and the supervisor `up`
// starts there) finds no pids controller. The host's mounts are untouched.
std::string without_pids(const std::string& cmd) {
  return "unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/pids && exec " + cmd + "'";
}

// A 64 MiB ext4 image on a loop device, mounted; undone in reverse on scope exit, also
// when a check failed half-way.
struct LoopDevice {
  std::string image, mnt, dev;
  bool mounted = false;
  explicit LoopDevice(const std::string& dir) : image(dir + "/disk.img"), mnt(dir + "/mnt") {
    auto made = run("truncate -s 64M " + image + " && mkfs.ext4 -q -F " + image + " && mkdir -p " + mnt);
    if (made.status != 0) FAIL("making the image: " + made.out);
    auto lo = run("losetup --find --show " + image, false);
    if (lo.status != 0 || lo.out.empty()) FAIL("losetup: " + lo.out);
    dev = lo.out.substr(0, lo.out.find('\n'));
    auto m = run("mount " + dev + " " + mnt);
    if (m.status != 0) FAIL("mount: " + m.out);
    mounted = true;
  }
  ~LoopDevice() {
    if (mounted) run("umount " + mnt);
    if (!dev.empty()) run("losetup -d " + dev);
  }
};

// The shell's `time` in the container's log: "slow-1  | real\t0m 3.01s".
double real_seconds(const std::string& logs, const std::string& service) {
  std::istringstream in(logs);
  for (std::string line; std::getline(in, line);) {
    auto real = line.find("| real");
    int minutes = 0;
    double seconds = 0;
    if (line.find(service + "-1 ") < real && real != std::string::npos &&
        std::sscanf(line.c_str() + real + 6, "%dm %lfs", &minutes, &seconds) == 2)
      return minutes * 60 + seconds;
  }
  return -1;
}

std::string writer(const std::string& file) {
  return "time dd if=/dev/zero of=/data/" + file + " bs=256k count=12 oflag=direct; sleep 1000";
}

}  // namespace

TEST_CASE("an unenforceable limit is an error at up, a warning when asked", "[stats][limits]") {
  if (run("mountpoint -q /sys/fs/cgroup/pids").status != 0)
    stack::testing::skip("no v1 pids hierarchy to hide (not a v1/hybrid host)");
  StackFixture fx("sl");
  std::string service = R"(  app:
    image: busybox:st
    pids_limit: 50
    command: ["sleep", "1000"]
)";
  fx.write(service);
  // Strict: refused before anything is made.
  auto up = run(without_pids(fx.cmd("up -d")));
  INFO(up.out);
  CHECK(up.status == 1);
  CHECK(up.out.find("stack: service app: pids_limit: cannot be enforced on this host: the pids controller is not "
                    "available") != std::string::npos);
  CHECK(run(fx.cmd("ps")).out.find("no such stack") != std::string::npos);
  CHECK(fx.leftovers() == "");

  auto ignored = run(without_pids(fx.cmd("up -d --ignore-unenforced-limits")));
  INFO(ignored.out);
  CHECK(ignored.status == 0);
  CHECK(ignored.out.find("stack: warning: container " + fx.project +
                         "-app-1: pids_limit: cannot be enforced on this host: the pids controller is not available "
                         "(ignored as asked)") != std::string::npos);
  CHECK(StackFixture::find(fx.ps(), "Service", "app").value("State", "") == "running");
  REQUIRE(run(fx.cmd("down -t 0")).status == 0);
  CHECK(fx.leftovers() == "");

  fx.write(service + "    x-stack-ignore-unenforced-limits: true\n");
  auto keyed = run(without_pids(fx.cmd("up -d")));
  INFO(keyed.out);
  CHECK(keyed.status == 0);
  CHECK(keyed.out.find("pids_limit: cannot be enforced on this host") != std::string::npos);
  CHECK(StackFixture::find(fx.ps(), "Service", "app").value("State", "") == "running");
  REQUIRE(run(fx.cmd("down -t 0")).status == 0);

  // blkio weights where no device runs BFQ or CFQ (this project's CI machines: "none"):
  // the weight files exist, but nothing would act on them.
  if (run("grep -qE '\\[(bfq|cfq)\\]' /sys/block/*/queue/scheduler").status != 0) {
    fx.write("  app:\n    image: busybox:st\n    blkio_config: {weight: 300}\n    command: [\"sleep\", \"1000\"]\n");
    auto weight = run(fx.cmd("up -d"));
    INFO(weight.out);
    CHECK(weight.status == 1);
    CHECK(weight.out.find("blkio_config.weight: cannot be enforced on this host: no proportional I/O scheduler") !=
          std::string::npos);
    CHECK(fx.leftovers() == "");  // refused before anything was made
  }

  fx.write(service + "    x-stack-ignore-unenforced-limits: yes please\n");
  auto bad = run(without_pids(fx.cmd("up -d")));
  CHECK(bad.status == 1);
  CHECK(bad.out.find("x-stack-ignore-unenforced-limits: must be true or false") != std::string::npos);
  CHECK(fx.leftovers() == "");
}

TEST_CASE("device_write_bps throttles direct writes to a loop device", "[stats][blkio]") {
  if (run("command -v losetup && command -v mkfs.ext4").status != 0) stack::testing::skip("no losetup or mkfs.ext4");
  if (::access("/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device", F_OK) != 0 &&
      run("grep -qw io /sys/fs/cgroup/cgroup.controllers 2>/dev/null").status != 0)
    stack::testing::skip("no block I/O throttling on this host");
  stack::testing::TempDir disk("stack-blkio-" + std::to_string(::getpid()));
  LoopDevice loop(disk.path());
  StackFixture fx("sb");
  // 3 MiB at 1 MiB/s: about 3 s; the same write unthrottled takes a fraction of that.
  fx.write(R"(  slow:
    image: busybox:st
    volumes: [")" + loop.mnt + R"(:/data"]
    blkio_config:
      device_write_bps:
        - {path: )" + loop.dev + R"(, rate: 1mb}
    command: ["sh", "-c", ")" + writer("slow") + R"("]
  fast:
    image: busybox:st
    volumes: [")" + loop.mnt + R"(:/data"]
    command: ["sh", "-c", ")" + writer("fast") + R"("]
)");
  auto config = run(fx.cmd("config"));
  INFO(config.out);
  CHECK(config.out.find("device_write_bps") != std::string::npos);
  auto up = run(fx.cmd("up -d"));
  INFO(up.out);
  REQUIRE(up.status == 0);
  std::string logs;
  for (int i = 0; i < 100; ++i) {
    logs = run(fx.cmd("logs --no-color")).out;
    if (real_seconds(logs, "slow") >= 0 && real_seconds(logs, "fast") >= 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(logs);
  double slow = real_seconds(logs, "slow"), fast = real_seconds(logs, "fast");
  CHECK(slow >= 2.0);
  CHECK(slow <= 6.0);
  CHECK(fast >= 0);
  CHECK(fast < 1.0);
  // The throttled bytes show in stack stats' BLOCK I/O (written: at least the 3 MiB).
  auto stats = StackFixture::json_lines(run(fx.cmd("stats --no-stream --format json slow"), false).out);
  REQUIRE(stats.size() == 1);
  std::string block = stats[0].value("BlockIO", "");
  CHECK(block.find(" / 3.") != std::string::npos);
  CHECK(block.find("MB") != std::string::npos);
  CHECK(run(fx.cmd("down -t 0")).status == 0);
  CHECK(fx.leftovers() == "");
}
