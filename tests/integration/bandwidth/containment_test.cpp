// A container that is root in its own netns (CAP_NET_ADMIN there) cannot lift the
// limits: they live on the host end and the ifb, which its netns does not contain.
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include <cstdio>

#include "network/bandwidth_apply.hpp"
#include "network/link.hpp"
#include "network/tc.hpp"
#include "tests/integration/bandwidth/bw_lab_ifb.hpp"

using namespace bwlab;

namespace {

// Everything root inside the netns can do to qdiscs through netlink: delete each one
// it can see, on every link it has. Returns how many deletions the kernel accepted.
int delete_every_qdisc_inside(const Netns& ns) {
  Netlink inside = ok(Netlink::open_in(ns));
  nl_cache* raw = nullptr;
  REQUIRE(rtnl_qdisc_alloc_cache(inside.get(), &raw) == 0);
  CachePtr cache(raw);
  int deleted = 0;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    if (rtnl_qdisc_delete(inside.get(), reinterpret_cast<rtnl_qdisc*>(o)) == 0) ++deleted;
  }
  return deleted;
}

}  // namespace

TEST_CASE("bandwidth: NET_ADMIN inside the container cannot lift either limit", "[bandwidth]") {
  Host host;
  require_ifb(host);
  Container limited(host, "admin", "10.77.0.2");
  Container peer(host, "peer", "10.77.0.3");
  ok(apply_bandwidth(host.nl, limited.veth, Bandwidth{8000000, 8000000, std::nullopt}));

  // With iproute2's tc, as a container given cap_add: [NET_ADMIN] would do it.
  if (stack::testing::run("command -v tc").status == 0) {
    for (const char* cmd :
         {"tc qdisc del dev eth0 root", "tc qdisc del dev eth0 ingress",
          "tc qdisc replace dev eth0 root tbf rate 10gbit burst 1mb latency 1ms", "tc qdisc del dev eth0 root"}) {
      auto r = in(limited.ns, cmd);
      std::fprintf(stderr, "inside: %s -> %d %s", cmd, r.status, r.out.c_str());
      if (r.out.empty() || r.out.back() != '\n') std::fprintf(stderr, "\n");
    }
    // The host end and the ifb are not even visible from inside.
    auto links = in(limited.ns, "ip -o link show");
    CHECK(links.out.find(limited.veth) == std::string::npos);
    CHECK(links.out.find(ifb_name(limited.veth)) == std::string::npos);
    CHECK(in(limited.ns, "tc qdisc del dev " + limited.veth + " root").status != 0);
  } else {
    WARN("iproute2's tc is not installed: only the netlink attempt runs");
  }
  // And through netlink directly, every qdisc root can see in there.
  std::fprintf(stderr, "inside: netlink deleted %d qdiscs\n", delete_every_qdisc_inside(limited.ns));

  CHECK(ok(read_bandwidth(host.nl, limited.veth)) == Bandwidth{8000000, 8000000, std::nullopt});
  double in_s = transfer_seconds(peer.ns, limited.ns, limited.ip, 2000000);
  double out_s = transfer_seconds(limited.ns, peer.ns, peer.ip, 2000000);
  std::fprintf(stderr, "after the container's attempts: into %.3f s, out of %.3f s (2 MB, expected 2.0 s)\n", in_s,
               out_s);
  // Containment is about the lower bound: a lifted limit makes the transfer fast. The
  // upper bound only says the shaping still runs near its rate (the accuracy test holds
  // it to 15 %); here it is loose, since a loaded host (CI at load 25) made it 17 % slow.
  CHECK(in_s >= 2.0 * 0.85);
  CHECK(in_s <= 2.0 * 1.5);
  CHECK(out_s >= 2.0 * 0.85);
  CHECK(out_s <= 2.0 * 1.5);
  CHECK(ok(teardown_bandwidth_in(host.ns, limited.veth)) == true);
}
