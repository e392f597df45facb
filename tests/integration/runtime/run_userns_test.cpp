// `stack run` of a service with userns_mode: auto: root inside is a leased host range,
// a volume it makes is owned by that range, two runs at once get disjoint ranges, and
// the range is given back when the run ends.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "tests/integration/runtime/cli_fixture.hpp"

using stack::testing::CliFixture;
using stack::testing::run;

namespace {

const char* kNsService =
    "  ns:\n"
    "    image: busybox:rt\n"
    "    userns_mode: auto\n"
    "    volumes:\n"
    "      - data:/data\n";

struct IdMapLine {
  uint64_t inside = 0, host = 0, size = 0;
};

// "         0     524288      65536" (one line of /proc/self/uid_map).
IdMapLine parse_map(const std::string& text) {
  IdMapLine m;
  std::istringstream in(text);
  in >> m.inside >> m.host >> m.size;
  return m;
}

uid_t owner_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

bool wait_for(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    if (::access(path.c_str(), F_OK) == 0) return true;
    ::usleep(50'000);
  }
  return false;
}

}  // namespace

TEST_CASE("stack run: userns_mode auto maps root onto a leased range, disjoint per container, freed after",
          "[runtime][cli][userns]") {
  CliFixture fx(kNsService);
  std::string volume = fx.root + "/volumes/" + fx.name + "_data";
  std::string ledger = fx.root + "/userns/ranges";
  // The first run holds its range until the test lets it go (/data/done).
  std::string first = fx.tmp.path() + "/first";
  run("(" + fx.stack_cmd + " run --rm -T ns sh -c 'cat /proc/self/uid_map > /data/a; "
      "i=0; while [ ! -e /data/done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; id -u; stat -c %u /data/a' "
      "> " + first + ".out 2>&1 </dev/null; echo $? > " + first + ".code) >/dev/null 2>&1 &");
  REQUIRE(wait_for(volume + "/a"));
  IdMapLine a = parse_map(run("cat " + volume + "/a").out);
  auto second = run(fx.stack_cmd + " run --rm -T ns cat /proc/self/uid_map </dev/null");
  INFO(second.out);
  REQUIRE(second.status == 0);
  IdMapLine b = parse_map(second.out);
  run("touch " + volume + "/done");
  REQUIRE(wait_for(first + ".code"));
  ::usleep(50'000);
  auto a_out = run("cat " + first + ".out").out;
  INFO(a_out);
  CHECK(run("cat " + first + ".code").out == "0\n");
  CHECK(a_out == "0\n0\n");  // root inside, and the file is root's inside

  // Container root is host id a.host: not the host's root, 65536 ids from the pool.
  CHECK(a.inside == 0);
  CHECK(a.size == 65536);
  CHECK(a.host >= 524288);
  CHECK(b.size == 65536);
  CHECK(b.host >= 524288);
  CHECK((a.host + a.size <= b.host || b.host + b.size <= a.host));
  // The volume was made by the first run: it and what its root wrote are the mapped id's.
  CHECK(owner_of(volume) == a.host);
  CHECK(owner_of(volume + "/a") == a.host);
  // Both leases are gone with their runs.
  CHECK(run("cat " + ledger).out == "stack-userns 1\n");
  CHECK(fx.leftover_mounts().empty());
  CHECK(run("ls -A " + fx.root + "/containers | wc -l").out == "0\n");
}
