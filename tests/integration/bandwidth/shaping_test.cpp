// Bandwidth limits against the real kernel: 4 MB through 8mbit takes 4 s each way.
#include <cstdio>

#include "network/bandwidth_apply.hpp"
#include "network/bandwidth_stats.hpp"
#include "network/link.hpp"
#include "network/tc.hpp"
#include "tests/integration/bandwidth/bw_lab_ifb.hpp"

using namespace bwlab;

namespace {

constexpr std::size_t kBytes = 4000000;  // 4 MB: 4.0 s at 8mbit (1,000,000 bytes/s)

void check_about(double seconds, double expected, const char* what) {
  std::fprintf(stderr, "%s: %.3f s (expected %.1f s, %+.1f %%)\n", what, seconds, expected,
               (seconds / expected - 1) * 100);
  CHECK(seconds >= expected * 0.85);
  CHECK(seconds <= expected * 1.15);
}

QdiscInfo our_tbf(Netlink& nl, const std::string& link) {
  int ifindex = rtnl_link_get_ifindex(ok(get_link(nl, link)).get());
  for (const auto& q : ok(list_qdiscs(nl, ifindex)))
    if (q.kind == "tbf" && q.handle == kStackQdiscHandle) return q;
  FAIL("no tbf of ours on " << link);
  return {};
}

}  // namespace

TEST_CASE("bandwidth: 4 MB through 8mbit takes 4 s each way; unlimited is 10x faster", "[bandwidth]") {
  Host host;
  require_ifb(host);
  Container limited(host, "limited", "10.77.0.2");
  Container peer(host, "peer", "10.77.0.3");

  double free_in = transfer_seconds(peer.ns, limited.ns, limited.ip, kBytes);
  double free_out = transfer_seconds(limited.ns, peer.ns, peer.ip, kBytes);
  std::fprintf(stderr, "unlimited: into %.3f s, out of %.3f s\n", free_in, free_out);
  NetIo before = ok(read_net_io(host.nl, limited.veth));

  Bandwidth bw{8000000, 8000000, std::nullopt};
  ok(apply_bandwidth(host.nl, limited.veth, bw));
  CHECK(ok(read_bandwidth(host.nl, limited.veth)) == bw);

  double in = transfer_seconds(peer.ns, limited.ns, limited.ip, kBytes);
  check_about(in, 4.0, "into the container at 8mbit");
  double out = transfer_seconds(limited.ns, peer.ns, peer.ip, kBytes);
  check_about(out, 4.0, "out of the container at 8mbit");
  CHECK(free_in * 10 <= in);
  CHECK(free_out * 10 <= out);

  // Counters seen from the host end, turned around to the container's view.
  NetIo after = ok(read_net_io(host.nl, limited.veth));
  CHECK(after.rx_bytes - before.rx_bytes >= kBytes);
  CHECK(after.tx_bytes - before.tx_bytes >= kBytes);
  CHECK(after.rx_packets - before.rx_packets >= kBytes / 65536);
  CHECK(after.tx_packets > before.tx_packets);

  QdiscInfo into = our_tbf(host.nl, limited.veth);
  QdiscInfo outof = our_tbf(host.nl, ifb_name(limited.veth));
  std::fprintf(stderr, "tbf into: %llu bytes, %llu packets, %llu drops; out of: %llu bytes, %llu packets, %llu drops\n",
               static_cast<unsigned long long>(into.bytes), static_cast<unsigned long long>(into.packets),
               static_cast<unsigned long long>(into.drops), static_cast<unsigned long long>(outof.bytes),
               static_cast<unsigned long long>(outof.packets), static_cast<unsigned long long>(outof.drops));
  CHECK(into.bytes >= kBytes);
  CHECK(outof.bytes >= kBytes);
  CHECK(into.tbf_rate_bytes == 1000000U);
  CHECK(into.tbf_limit_bytes == 10000U + 50000U);

  CHECK(ok(remove_bandwidth(host.nl, limited.veth, ifb_name(limited.veth))) == true);
  CHECK(ok(read_bandwidth(host.nl, limited.veth)).empty());
}
