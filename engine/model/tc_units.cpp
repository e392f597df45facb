#include "engine/model/tc_units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace stack::model {

namespace {

// 128 bits: a 19-digit mantissa times the largest unit cannot overflow.
__extension__ typedef unsigned __int128 U128;

// A multiplier as a fraction, so "kbit" sizes (1024/8) and decimals stay exact.
struct Unit {
  std::string_view name;
  std::uint64_t num;
  std::uint64_t den;
};

constexpr std::uint64_t kKi = 1024, kMi = kKi * 1024, kGi = kMi * 1024, kTi = kGi * 1024;

// tc/tc_util.c: get_rate64's suffix table (compared with strcasecmp), in bits.
constexpr std::array<Unit, 19> kRateUnits{{
    {"", 1, 1},  // a bare number: bits per second
    {"bit", 1, 1},
    {"kbit", 1000, 1},
    {"mbit", 1000000, 1},
    {"gbit", 1000000000, 1},
    {"tbit", 1000000000000, 1},
    {"kibit", kKi, 1},
    {"mibit", kMi, 1},
    {"gibit", kGi, 1},
    {"tibit", kTi, 1},
    {"bps", 8, 1},
    {"kbps", 8000, 1},
    {"mbps", 8000000, 1},
    {"gbps", 8000000000, 1},
    {"tbps", 8000000000000, 1},
    {"kibps", 8 * kKi, 1},
    {"mibps", 8 * kMi, 1},
    {"gibps", 8 * kGi, 1},
    {"tibps", 8 * kTi, 1},
}};

// tc/tc_util.c: get_size, in bytes.
constexpr std::array<Unit, 11> kSizeUnits{{
    {"", 1, 1},
    {"b", 1, 1},
    {"k", kKi, 1},
    {"kb", kKi, 1},
    {"m", kMi, 1},
    {"mb", kMi, 1},
    {"g", kGi, 1},
    {"gb", kGi, 1},
    {"kbit", kKi, 8},
    {"mbit", kMi, 8},
    {"gbit", kGi, 8},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "<digits>[.<digits>]<unit>" times the unit, rounded to the nearest integer, exactly.
// `what` is "rate" or "size" for the error text.
template <std::size_t N>
Result<U128> parse_quantity(std::string_view text, std::string_view what, const std::array<Unit, N>& units) {
  auto bad = [&](std::string_view why) {
    return fail("invalid " + std::string(what) + " \"" + std::string(text) + "\": " + std::string(why));
  };
  if (text.empty()) return bad("empty");
  if (text.front() == '-') return bad("must be greater than zero");
  std::size_t i = 0;
  U128 mantissa = 0, scale = 1;
  int digits = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      // 19 significant digits always fit in 64 bits; more is no useful rate or size.
      if (mantissa == 0 && c == '0' && !dot) continue;
      if (++digits > 19) return bad("too many digits");
      mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
      if (dot) scale *= 10;
    } else {
      break;
    }
  }
  bool any_digit = std::any_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(i),
                               [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!any_digit) return bad(what == "rate" ? "not a number (e.g. 10mbit)" : "not a number (e.g. 32kb)");
  std::string unit = lower(text.substr(i));
  auto u = std::find_if(units.begin(), units.end(), [&](const Unit& x) { return x.name == unit; });
  if (u == units.end()) return bad("unknown unit \"" + std::string(text.substr(i)) + "\"");
  U128 den = scale * u->den;
  U128 value = (mantissa * u->num + den / 2) / den;
  if (value == 0) return bad("must be greater than zero");
  return value;
}

}  // namespace

Result<std::uint64_t> parse_rate(std::string_view text) {
  auto v = parse_quantity(text, "rate", kRateUnits);
  if (!v) return unexpected(std::move(v).error());
  std::string head = "invalid rate \"" + std::string(text) + "\": ";
  if (*v > std::numeric_limits<std::uint64_t>::max()) return fail(head + "too large");
  // tc keeps a rate in whole bytes per second (get_rate64 divides by 8).
  if (*v < 8) return fail(head + "less than 8bit (one byte per second)");
  return static_cast<std::uint64_t>(*v);
}

Result<std::uint32_t> parse_tc_size(std::string_view text) {
  auto v = parse_quantity(text, "size", kSizeUnits);
  if (!v) return unexpected(std::move(v).error());
  if (*v > std::numeric_limits<std::uint32_t>::max())
    return fail("invalid size \"" + std::string(text) + "\": too large (more than 4294967295 bytes)");
  return static_cast<std::uint32_t>(*v);
}

std::string format_rate(std::uint64_t bps) { return std::to_string(bps) + "bit"; }

std::string format_tc_size(std::uint32_t bytes) { return std::to_string(bytes) + "b"; }

}  // namespace stack::model
