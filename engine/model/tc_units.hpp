#pragma once
// Rates and sizes in tc's units with tc's meanings (tc(8) "PARAMETERS", iproute2
// tc/tc_util.c get_rate64/get_size), for x-bandwidth. Pure functions: the model reads
// the text, network/ takes the numbers.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::model {

// A rate as tc reads it, in bits per second. Case-insensitive units: bit, kbit, mbit,
// gbit, tbit (x1000 steps), kibit, mibit, gibit, tibit (x1024 steps), and bytes per
// second bps, kbps, mbps, gbps, tbps (x1000) and kibps, mibps, gibps, tibps (x1024).
// A bare number is bits per second. Decimals are allowed ("1.5mbit"). Zero, negative,
// garbage, or less than 8 bit/s (tc keeps bytes per second) is an error naming the
// value: `invalid rate "10mbitz": unknown unit "mbitz"`.
Result<std::uint64_t> parse_rate(std::string_view text);

// A size as tc's get_size reads it, in bytes: b, k/kb, m/mb, g/gb (x1024 steps), kbit,
// mbit, gbit (x1024 steps of bits, /8); a bare number is bytes. Zero, negative, garbage
// or more than 4 GiB - 1 is an error naming the value. (Not units.hpp's parse_size,
// which reads docker's sizes: there "1kbit" is no size.)
Result<std::uint32_t> parse_tc_size(std::string_view text);

// Normalised text (what `stack config` prints): a rate in bits per second with the
// unit ("10000000bit"), a size in bytes ("32768b"). Both parse back to the same value.
std::string format_rate(std::uint64_t bps);
std::string format_tc_size(std::uint32_t bytes);

}  // namespace stack::model
