#include "network/bandwidth.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>

namespace stack::net {

namespace {

// 128 bits: burst times the scheduler's ticks per second cannot overflow.
__extension__ typedef unsigned __int128 U128;

}  // namespace

std::string human_rate(std::uint64_t bps) {
  static constexpr std::array<std::pair<std::uint64_t, std::string_view>, 4> kSteps{{
      {1000000000000, "tbit"},
      {1000000000, "gbit"},
      {1000000, "mbit"},
      {1000, "kbit"},
  }};
  for (const auto& [step, name] : kSteps) {
    if (bps >= step && bps % step == 0) return std::to_string(bps / step) + std::string(name);
  }
  return std::to_string(bps) + "bit";
}

std::string human_size(std::uint32_t bytes) { return std::to_string(bytes) + "b"; }

std::uint32_t frame_bytes(unsigned mtu) { return static_cast<std::uint32_t>(mtu) + 14; }

std::uint32_t default_burst(std::uint64_t rate_bps, unsigned mtu) {
  std::uint64_t ten_ms = rate_bps / 8 / 100;
  std::uint64_t floor = 2ULL * frame_bytes(mtu);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::max(ten_ms, floor), 0xffffffffULL));
}

Result<TbfShape> tbf_shape(std::uint64_t rate_bps, std::optional<std::uint32_t> burst, unsigned mtu) {
  constexpr std::uint64_t kMaxRateBytes = std::numeric_limits<std::int32_t>::max();
  std::uint64_t rate = rate_bps / 8;
  if (rate == 0) return fail("rate " + human_rate(rate_bps) + " is less than one byte per second");
  if (rate > kMaxRateBytes)
    return fail("rate " + human_rate(rate_bps) + " is above " + human_rate(kMaxRateBytes * 8) +
                ", the most tbf can be given through libnl (a 32-bit byte rate)");
  std::uint32_t frame = frame_bytes(mtu);
  std::uint32_t b = burst.value_or(default_burst(rate_bps, mtu));
  if (b < frame)
    return fail("burst " + human_size(b) + " is smaller than one full frame (" + human_size(frame) + " at MTU " +
                std::to_string(mtu) + "): tbf would drop every full-size packet");
  // tbf's buffer is the bucket's refill time in 64 ns scheduler ticks, a u32
  // (struct tc_tbf_qopt, PSCHED_TICKS2NS): at most 2^32 * 64 ns, about 274 s.
  U128 ticks = static_cast<U128>(b) * 15625000 / rate;
  if (ticks > 0xffffffffULL)
    return fail("burst " + human_size(b) + " at rate " + human_rate(rate_bps) +
                " takes more than 274 s to refill, more than tbf can hold");
  std::uint64_t queue = std::max<std::uint64_t>(rate * kQueueLatencyMs / 1000, 4ULL * frame);
  std::uint64_t limit = std::min<std::uint64_t>(b + queue, kMaxRateBytes);
  return TbfShape{static_cast<std::uint32_t>(rate), b, static_cast<std::uint32_t>(limit)};
}

}  // namespace stack::net
