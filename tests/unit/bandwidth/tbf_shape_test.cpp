#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "network/bandwidth.hpp"
#include "network/bandwidth_apply.hpp"
#include "network/names.hpp"

using namespace stack::net;

TEST_CASE("bandwidth: default burst is 10 ms of the rate, at least two full frames", "[bandwidth]") {
  CHECK(frame_bytes(1500) == 1514);
  CHECK(default_burst(8000000) == 10000);       // 8mbit: 1,000,000 B/s * 10 ms
  CHECK(default_burst(1000000000) == 1250000);  // 1gbit
  CHECK(default_burst(1000000) == 2 * 1514);    // 1mbit: 1,250 B < two frames
  CHECK(default_burst(64000) == 2 * 1514);
  CHECK(default_burst(1000000, 9000) == 2 * 9014);  // jumbo frames
  CHECK(default_burst(80000000000ULL) == 100000000);
  CHECK(default_burst(8000000000000ULL) == 0xffffffffU);  // clamped to what a u32 holds
}

TEST_CASE("bandwidth: tbf shape from the rate", "[bandwidth]") {
  auto s = tbf_shape(8000000, std::nullopt, 1500);
  REQUIRE(s);
  CHECK(s->rate_bytes == 1000000);
  CHECK(s->burst_bytes == 10000);
  CHECK(s->limit_bytes == 10000 + 50000);  // the burst + 50 ms at the rate

  auto given = tbf_shape(8000000, 32768, 1500);
  REQUIRE(given);
  CHECK(given->burst_bytes == 32768);
  CHECK(given->limit_bytes == 32768 + 50000);

  // A slow link still queues four full frames, or TCP could not send a window.
  auto slow = tbf_shape(64000, std::nullopt, 1500);
  REQUIRE(slow);
  CHECK(slow->rate_bytes == 8000);
  CHECK(slow->limit_bytes == 2 * 1514 + 4 * 1514);

  // The byte rate is what tc keeps: bits below a whole byte are dropped.
  CHECK(tbf_shape(8000007, std::nullopt, 1500)->rate_bytes == 1000000);
}

TEST_CASE("bandwidth: shapes tbf cannot express are refused, naming the value", "[bandwidth]") {
  auto fast = tbf_shape(20000000000ULL, std::nullopt, 1500);
  REQUIRE_FALSE(fast);
  CHECK(fast.error().message ==
        "rate 20gbit is above 17179869176bit, the most tbf can be given through libnl (a 32-bit byte rate)");
  CHECK(tbf_shape(17179869176ULL, std::nullopt, 1500));  // exactly 2^31-1 bytes per second

  auto tiny = tbf_shape(8000000, 1000, 1500);
  REQUIRE_FALSE(tiny);
  CHECK(tiny.error().message ==
        "burst 1000b is smaller than one full frame (1514b at MTU 1500): tbf would drop every full-size packet");
  CHECK(tbf_shape(8000000, 1514, 1500));

  auto slow = tbf_shape(8, std::nullopt, 1500);  // one byte per second, 3028 B bucket
  REQUIRE_FALSE(slow);
  CHECK(slow.error().message == "burst 3028b at rate 8bit takes more than 274 s to refill, more than tbf can hold");
  CHECK(tbf_shape(8 * 12, std::nullopt, 1500));  // 12 B/s: 252 s, still fits
}

TEST_CASE("bandwidth: ifb names are deterministic, distinct and fit IFNAMSIZ", "[bandwidth]") {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string veth = veth_name("proj/svc-" + std::to_string(i), "sb-000000000000");
    std::string ifb = ifb_name(veth);
    CHECK(ifb.size() == kIfNameMax);
    CHECK(valid_ifname(ifb));
    CHECK(ifb.rfind("sf", 0) == 0);
    CHECK(ifb != veth);
    CHECK(ifb_name(veth) == ifb);
    seen.insert(ifb);
  }
  CHECK(seen.size() == 20000);
}

TEST_CASE("bandwidth: human rates pick the largest exact SI unit", "[bandwidth]") {
  CHECK(human_rate(10000000) == "10mbit");
  CHECK(human_rate(1536000) == "1536kbit");
  CHECK(human_rate(12345) == "12345bit");
  CHECK(human_rate(2000000000) == "2gbit");
  CHECK(human_rate(3000000000000) == "3tbit");
  CHECK(human_rate(1048576) == "1048576bit");
  CHECK(human_rate(8) == "8bit");
  CHECK(human_size(3028) == "3028b");
}
