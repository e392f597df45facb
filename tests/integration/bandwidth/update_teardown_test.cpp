// Changing a limit in place, removing one direction, teardown, and errors.
#include <netlink/route/link.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iterator>

#include "network/bandwidth_apply.hpp"
#include "network/link.hpp"
#include "network/link_veth.hpp"
#include "network/tc.hpp"
#include "network/tc_filter.hpp"
#include "tests/integration/bandwidth/bw_lab_ifb.hpp"

using namespace bwlab;

namespace {

int ifindex_of(Netlink& nl, const std::string& name) { return rtnl_link_get_ifindex(ok(get_link(nl, name)).get()); }

std::optional<QdiscInfo> qdisc(Netlink& nl, const std::string& link, const char* kind, std::uint32_t handle) {
  auto found = ok(find_link(nl, link));
  if (!found) return std::nullopt;
  for (const auto& q : ok(list_qdiscs(nl, rtnl_link_get_ifindex(found->get()))))
    if (q.kind == kind && q.handle == handle) return q;
  return std::nullopt;
}

// Nothing of ours on the host end, no ifb: what teardown must leave.
void check_nothing_left(Netlink& nl, const std::string& veth) {
  CHECK_FALSE(qdisc(nl, veth, "tbf", kStackQdiscHandle));
  CHECK_FALSE(qdisc(nl, veth, "ingress", kIngressHandle));
  CHECK_FALSE(ok(find_link(nl, ifb_name(veth))));
  if (ok(find_link(nl, veth))) CHECK_FALSE(ok(find_redirect(nl, ifindex_of(nl, veth))).present);
}

}  // namespace

TEST_CASE("bandwidth: a new rate applies in place, on a running connection", "[bandwidth]") {
  Host host;
  require_ifb(host);
  Container c(host, "update", "10.77.0.2");
  Container peer(host, "peer", "10.77.0.3");
  const std::string ifb = ifb_name(c.veth);

  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{8000000, 8000000, std::nullopt}));
  int veth_index = ifindex_of(host.nl, c.veth), ifb_index = ifindex_of(host.nl, ifb);
  transfer_seconds(peer.ns, c.ns, c.ip, 200000);
  transfer_seconds(c.ns, peer.ns, peer.ip, 200000);
  auto in_before = qdisc(host.nl, c.veth, "tbf", kStackQdiscHandle);
  auto out_before = qdisc(host.nl, ifb, "tbf", kStackQdiscHandle);
  REQUIRE(in_before);
  REQUIRE(out_before);

  // 4 MB into the container; after 1 s (about 1 MB at 8mbit) the limit becomes 32mbit
  // for the rest, on the same connection: well under the 4.2 s that 8mbit takes and
  // over the 1.2 s that the first second plus 3 MB at 32mbit take at the very least
  // (TCP then needs a moment to grow its window to the new rate).
  std::atomic<bool> updated{false};
  std::string update_error;
  std::thread updater([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto nl = Netlink::open_in(host.ns);
    auto r = nl ? apply_bandwidth(*nl, c.veth, Bandwidth{32000000, 32000000, std::nullopt})
                : stack::Result<void>(stack::unexpected(nl.error()));
    if (!r) update_error = r.error().message;
    updated = true;
  });
  double mixed = transfer_seconds(peer.ns, c.ns, c.ip, 4000000);
  updater.join();
  CHECK(update_error.empty());
  CHECK(updated);
  std::fprintf(stderr, "4 MB with 8mbit -> 32mbit after 1 s: %.3f s (1.8 s if the switch were instant)\n", mixed);
  CHECK(mixed >= 1.2);
  CHECK(mixed <= 4.0 * 0.75);

  // Same links, same qdiscs (their counters went on), new parameters.
  CHECK(ifindex_of(host.nl, c.veth) == veth_index);
  CHECK(ifindex_of(host.nl, ifb) == ifb_index);
  auto in_after = qdisc(host.nl, c.veth, "tbf", kStackQdiscHandle);
  auto out_after = qdisc(host.nl, ifb, "tbf", kStackQdiscHandle);
  REQUIRE(in_after);
  REQUIRE(out_after);
  CHECK(in_after->bytes >= in_before->bytes + 4000000);
  CHECK(out_after->bytes >= out_before->bytes);
  CHECK(in_after->tbf_rate_bytes == 4000000U);
  CHECK(ok(read_bandwidth(host.nl, c.veth)) == Bandwidth{32000000, 32000000, std::nullopt});

  double out16 = transfer_seconds(c.ns, peer.ns, peer.ip, 4000000);
  std::fprintf(stderr, "4 MB out of the container at 32mbit: %.3f s (expected 1.0 s)\n", out16);
  CHECK(out16 >= 1.0 * 0.85);
  CHECK(out16 <= 1.0 * 1.15);

  // Dropping the egress limit removes the redirect and the ifb; ingress stays.
  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{std::nullopt, 32000000, std::nullopt}));
  CHECK_FALSE(ok(find_link(host.nl, ifb)));
  CHECK_FALSE(qdisc(host.nl, c.veth, "ingress", kIngressHandle));
  CHECK(ok(read_bandwidth(host.nl, c.veth)) == Bandwidth{std::nullopt, 32000000, std::nullopt});
  double free_out = transfer_seconds(c.ns, peer.ns, peer.ip, 4000000);
  std::fprintf(stderr, "4 MB out of the container, egress limit removed: %.3f s\n", free_out);
  CHECK(free_out < 0.1);

  // An empty Bandwidth removes the rest; applying it again changes nothing.
  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{}));
  check_nothing_left(host.nl, c.veth);
  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{}));
  CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == false);
}

TEST_CASE("bandwidth: teardown removes every object, twice is harmless, also after the veth", "[bandwidth]") {
  Host host;
  require_ifb(host);
  Container c(host, "teardown", "10.77.0.2");
  const std::string ifb = ifb_name(c.veth);

  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{8000000, 16000000, 32768}));
  CHECK(qdisc(host.nl, c.veth, "tbf", kStackQdiscHandle));
  CHECK(qdisc(host.nl, c.veth, "ingress", kIngressHandle));
  CHECK(ok(find_redirect(host.nl, ifindex_of(host.nl, c.veth))).target_ifindex == ifindex_of(host.nl, ifb));
  CHECK(link_kind(ok(get_link(host.nl, ifb)).get()) == "ifb");
  CHECK(qdisc(host.nl, ifb, "tbf", kStackQdiscHandle)->tbf_rate_bytes == 1000000U);
  // Applying the same value again is harmless and keeps everything.
  int ifb_index = ifindex_of(host.nl, ifb);
  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{8000000, 16000000, 32768}));
  CHECK(ifindex_of(host.nl, ifb) == ifb_index);

  CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == true);
  check_nothing_left(host.nl, c.veth);
  CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == false);

  // Journal replayed in the wrong order (veth first): the ifb outlives the veth and
  // teardown_bandwidth still removes it.
  ok(apply_bandwidth(host.nl, c.veth, Bandwidth{8000000, std::nullopt, std::nullopt}));
  CHECK(ok(delete_veth(host.nl, c.veth)) == true);
  CHECK(ok(find_link(host.nl, ifb)));
  CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == true);
  check_nothing_left(host.nl, c.veth);
  CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == false);
}

TEST_CASE("bandwidth: errors name the link and the value", "[bandwidth]") {
  Host host;
  require_ifb(host);
  Container c(host, "errors", "10.77.0.2");

  auto missing = apply_bandwidth(host.nl, "svnosuchlink", Bandwidth{8000000, std::nullopt, std::nullopt});
  REQUIRE_FALSE(missing);
  CHECK_THAT(missing.error().message,
             Catch::StartsWith("applying bandwidth limits to 'svnosuchlink': link 'svnosuchlink' not found"));

  auto small = apply_bandwidth(host.nl, c.veth, Bandwidth{std::nullopt, 8000000, 1000});
  REQUIRE_FALSE(small);
  CHECK_THAT(small.error().message, Catch::Contains("'" + c.veth + "'") &&
                                        Catch::Contains("ingress: burst 1000b is smaller than one full frame"));

  auto fast = apply_bandwidth(host.nl, c.veth, Bandwidth{40000000000ULL, std::nullopt, std::nullopt});
  REQUIRE_FALSE(fast);
  CHECK_THAT(fast.error().message, Catch::Contains("egress: rate 40gbit is above"));

  // A stranger's link under the ifb's name is never reused nor deleted.
  const std::string ifb = ifb_name(c.veth);
  ok(ensure_bridge(host.nl, BridgeConfig{ifb, C("10.78.0.0/24"), A("10.78.0.1")}));
  auto clash = apply_bandwidth(host.nl, c.veth, Bandwidth{8000000, std::nullopt, std::nullopt});
  REQUIRE_FALSE(clash);
  CHECK_THAT(clash.error().message, Catch::Contains("link '" + ifb + "' exists and is a 'bridge', not an ifb"));
  auto refused = teardown_bandwidth_in(host.ns, c.veth);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains("refusing to delete link '" + ifb + "'"));
  CHECK(ok(find_link(host.nl, ifb)));

  // Nothing was left half-made by the failed calls.
  CHECK_FALSE(qdisc(host.nl, c.veth, "tbf", kStackQdiscHandle));
  CHECK_FALSE(qdisc(host.nl, c.veth, "ingress", kIngressHandle));
}

TEST_CASE("bandwidth: applying and tearing down 20 times leaks no fd and no object", "[bandwidth]") {
  // Counted in-process: a child listing our fds races with popen's own pipe ends.
  auto fds = [] {
    auto it = std::filesystem::directory_iterator("/proc/self/fd");
    return std::distance(it, std::filesystem::directory_iterator{});
  };

  auto round = [] {
    Host host;
    require_ifb(host);
    Container c(host, "leak", "10.77.0.2");
    for (int i = 1; i <= 20; ++i) {
      ok(apply_bandwidth(host.nl, c.veth, Bandwidth{i * 1000000ULL, i * 2000000ULL, std::nullopt}));
      CHECK(ok(read_bandwidth(host.nl, c.veth)) == Bandwidth{i * 1000000ULL, i * 2000000ULL, std::nullopt});
      CHECK(ok(teardown_bandwidth_in(host.ns, c.veth)) == true);
      check_nothing_left(host.nl, c.veth);
    }
    // Only the links the lab made are left in the "host" netns: lo, the bridge, the veth.
    nl_cache* raw = nullptr;
    REQUIRE(rtnl_link_alloc_cache(host.nl.get(), AF_UNSPEC, &raw) == 0);
    CachePtr links(raw);
    CHECK(nl_cache_nitems(links.get()) == 3);
  };
  round();  // the first round also opens what the process keeps (libnl's caches, ...)
  auto before = fds();
  round();
  CHECK(fds() == before);
}
