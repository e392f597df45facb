// The userns ledger's decisions without a kernel: first fit in the pool, a lease kept by
// its owner, releases, /etc/subuid parsing, the text form, the pool from subid files.
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/runtime/userns_pool.hpp"
#include "engine/runtime/userns_ranges.hpp"

using namespace stack::engine::runtime;

TEST_CASE("userns ranges: leases are disjoint, first fit, kept by their owner, released", "[userns]") {
  RangePool pool{{{100000, 65536 * 3}}, {{200000, 65536 * 3}}};
  RangeLedger l;
  auto a = lease_range(l, pool, "p-web-1", 65536);
  auto b = lease_range(l, pool, "p-web-2", 65536);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == RangeLease{"p-web-1", 100000, 200000, 65536});
  CHECK(*b == RangeLease{"p-web-2", 165536, 265536, 65536});
  auto again = lease_range(l, pool, "p-web-1", 65536);
  REQUIRE(again);
  CHECK(*again == *a);  // a restart keeps its ids
  CHECK(l.leases.size() == 2);
  auto c = lease_range(l, pool, "p-db-1", 65536);
  REQUIRE(c);
  auto full = lease_range(l, pool, "p-db-2", 1);
  REQUIRE_FALSE(full);
  CHECK(full.error().message ==
        "no free range of 1 host uids left for p-db-2 in the pool 100000-296607 (3 ranges leased)");
  CHECK(release_range(l, "p-web-1"));
  CHECK_FALSE(release_range(l, "p-web-1"));
  auto d = lease_range(l, pool, "p-db-2", 1024);  // the first gap again
  REQUIRE(d);
  CHECK(d->uid == 100000);
  auto e = lease_range(l, pool, "p-db-3", 65536 - 1024);
  REQUIRE(e);
  CHECK(e->uid == 101024);
}

TEST_CASE("userns ranges: a new size is a new range; pools of several segments", "[userns]") {
  RangePool pool{{{1000, 10}, {5000, 100}}, {{1000, 10}, {5000, 100}}};
  RangeLedger l;
  auto a = lease_range(l, pool, "a", 10);
  REQUIRE(a);
  CHECK(a->uid == 1000);
  auto b = lease_range(l, pool, "b", 10);
  REQUIRE(b);
  CHECK(b->uid == 5000);
  auto bigger = lease_range(l, pool, "a", 50);
  REQUIRE(bigger);
  CHECK(bigger->uid == 5010);
  CHECK(l.leases.size() == 2);
  CHECK_FALSE(lease_range(l, pool, "bad owner", 1));
  CHECK_FALSE(lease_range(l, pool, "c", 0));
  // Leases made from another pool (the config changed) still count as taken.
  RangeLedger other{{{"old", 5000, 5000, 60}}};
  auto c = lease_range(other, pool, "c", 30);
  REQUIRE(c);
  CHECK(c->uid == 5060);
}

TEST_CASE("userns ranges: the ledger's text form round-trips; corrupt lines are named", "[userns]") {
  RangeLedger l{{{"p-web-1", 524288, 524288, 65536}, {"p_run_abc", 589824, 589824, 1024}}};
  std::string text = format_range_ledger(l);
  CHECK(text == "stack-userns 1\nlease p-web-1 524288 524288 65536\nlease p_run_abc 589824 589824 1024\n");
  auto back = parse_range_ledger(text);
  REQUIRE(back);
  CHECK(*back == l);
  CHECK(parse_range_ledger("stack-userns 1\nlease a 1 2\n").error().message ==
        "userns ledger line 2: unknown record 'lease a 1 2'");
  CHECK_FALSE(parse_range_ledger("something else\n"));
}

TEST_CASE("userns ranges: /etc/subuid lines of the user; systemd's container range by default", "[userns]") {
  auto r = parse_subid("# comment\nroot:100000:65536\nstack:1000000:655360\nstack:3000000:65536\n", "stack",
                       "/etc/subuid");
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == IdRange{1000000, 655360});
  CHECK((*r)[1] == IdRange{3000000, 65536});
  CHECK(parse_subid("root:1:2\n", "stack", "/etc/subuid")->empty());
  CHECK(parse_subid("stack:x:2\n", "stack", "/etc/subuid").error().message ==
        "/etc/subuid:1: invalid range 'stack:x:2' (user:start:count)");
  CHECK_FALSE(parse_subid("stack:1:0\n", "stack", "f"));
  auto d = default_range_pool();
  REQUIRE(d.uids.size() == 1);
  CHECK(d.uids[0].start == 524288);
  CHECK(d.uids[0].end() == 1879048192u);
}

TEST_CASE("userns pool: user stack's ranges in subuid and subgid, both or neither", "[userns]") {
  char dir[] = "/tmp/stack-subid-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  std::string d = dir;
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(d + "/" + name) << text; };
  auto none = host_range_pool(d + "/subuid", d + "/subgid");  // neither file exists
  REQUIRE(none);
  CHECK(none->uids == default_range_pool().uids);
  write("subuid", "root:100000:65536\nstack:2000000:131072\n");
  write("subgid", "stack:3000000:131072\n");
  auto both = host_range_pool(d + "/subuid", d + "/subgid");
  REQUIRE(both);
  CHECK(both->uids == std::vector<IdRange>{{2000000, 131072}});
  CHECK(both->gids == std::vector<IdRange>{{3000000, 131072}});
  RangeLedger l;
  auto lease = lease_range(l, *both, "c", 65536);
  REQUIRE(lease);
  CHECK(lease->uid == 2000000);
  CHECK(lease->gid == 3000000);
  write("subgid", "root:100000:65536\n");
  auto half = host_range_pool(d + "/subuid", d + "/subgid");
  REQUIRE_FALSE(half);
  CHECK(half.error().message == d + "/subuid has ranges for user stack but " + d + "/subgid has none: give it both or neither");
  std::filesystem::remove_all(d);
}
