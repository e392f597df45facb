// The production path in the real host netns: teardown_bandwidth opens its own socket
// in the caller's netns, exactly as a journal replay after a crash would. No traffic
// here (the real host's bridge may be filtered); names carry our pid.
#include <netlink/route/link.h>

#include "network/bandwidth_apply.hpp"
#include "network/link.hpp"
#include "network/link_bridge.hpp"
#include "network/link_veth.hpp"
#include "network/tc.hpp"
#include "tests/integration/bandwidth/bw_lab_ifb.hpp"

using namespace bwlab;

namespace {

// Removes whatever the test made in the real host netns, whatever happened.
struct HostObjects {
  std::string bridge, veth;
  ~HostObjects() {
    (void)teardown_bandwidth(veth, ifb_name(veth));
    if (auto nl = Netlink::open()) {
      (void)delete_veth(*nl, veth);
      (void)delete_bridge(*nl, bridge);
    }
  }
};

}  // namespace

TEST_CASE("bandwidth: in the real host netns, teardown by names leaves nothing of ours", "[bandwidth]") {
  {
    Host probe;  // the ifb check in a netns of our own
    require_ifb(probe);
  }
  Netlink nl = ok(Netlink::open());
  HostObjects made{bridge_name(key("hostns"), "default"), ""};
  made.veth = veth_name(key("hostns"), made.bridge);
  const std::string ifb = ifb_name(made.veth);
  REQUIRE_FALSE(ok(find_link(nl, made.bridge)));
  REQUIRE_FALSE(ok(find_link(nl, ifb)));

  ok(create_bridge(nl, made.bridge, 0));
  ok(set_link_up(nl, made.bridge));
  Netns container = ok(Netns::create());
  ok(attach_veth(nl, container, VethConfig{made.veth, made.bridge, "eth0", C("10.79.0.2/24"), std::nullopt}));

  ok(apply_bandwidth(nl, made.veth, Bandwidth{8000000, 8000000, std::nullopt}));
  CHECK(link_kind(ok(get_link(nl, ifb)).get()) == "ifb");
  CHECK(ok(read_bandwidth(nl, made.veth)) == Bandwidth{8000000, 8000000, std::nullopt});

  CHECK(ok(teardown_bandwidth(made.veth, ifb)) == true);
  CHECK(ok(teardown_bandwidth(made.veth, ifb)) == false);
  CHECK_FALSE(ok(find_link(nl, ifb)));
  int veth_index = rtnl_link_get_ifindex(ok(get_link(nl, made.veth)).get());
  for (const auto& q : ok(list_qdiscs(nl, veth_index))) {
    CHECK(q.handle != kStackQdiscHandle);
    CHECK(q.kind != "ingress");
  }

  CHECK(ok(delete_veth(nl, made.veth)) == true);
  CHECK(ok(delete_bridge(nl, made.bridge)) == true);
  CHECK_FALSE(ok(find_link(nl, made.veth)));
  CHECK_FALSE(ok(find_link(nl, made.bridge)));
}
