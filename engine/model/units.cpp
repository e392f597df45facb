// Sizes as docker/go-units RAMInBytes, durations as Go's time.ParseDuration and
// Duration.String, cpus as strconv.ParseFloat (shell_split is in shell_split.cpp):
// compose parses these fields with exactly those functions, so we follow their rules.
#include "engine/model/units.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <limits>

namespace stack::model {
namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

size_t count_digits(std::string_view s, size_t from) {
  size_t i = from;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i - from;
}

// A decimal number without sign or exponent, as std::from_chars reads it (no locale).
std::optional<double> plain_decimal(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

// go-units: ^(\d+(\.\d+)*) ?([kmgtp])?i?b?$ (case-insensitive), binary multiples.
Result<int64_t> parse_size(std::string_view text) {
  auto invalid = [&] { return fail("invalid size: '" + std::string(text) + "'"); };
  size_t i = count_digits(text, 0);
  if (i == 0) return invalid();
  if (i < text.size() && text[i] == '.') {
    size_t frac = count_digits(text, i + 1);
    if (frac == 0) return invalid();
    i += 1 + frac;
  }
  auto number = plain_decimal(text.substr(0, i));
  if (!number) return invalid();
  if (i < text.size() && text[i] == ' ') ++i;
  double multiplier = 1;
  auto lower = [&](size_t k) { return k < text.size() ? (text[k] | 0x20) : '\0'; };
  static constexpr std::string_view kUnits = "kmgtp";
  if (auto u = kUnits.find(lower(i)); i < text.size() && u != std::string_view::npos) {
    multiplier = std::pow(1024.0, static_cast<double>(u + 1));
    ++i;
  }
  if (lower(i) == 'i') ++i;
  if (lower(i) == 'b') ++i;
  if (i != text.size()) return invalid();
  double bytes = *number * multiplier;
  // 2^63 is the first double past int64's range.
  if (!(bytes < 9223372036854775808.0)) return fail("size too large: '" + std::string(text) + "'");
  return static_cast<int64_t>(bytes);
}

namespace {

struct DurationUnit {
  std::string_view name;
  uint64_t ns;
};
constexpr DurationUnit kDurationUnits[] = {
    {"ns", 1},          {"us", 1000},         {"\xC2\xB5s", 1000} /* U+00B5 */,
    {"\xCE\xBCs", 1000} /* U+03BC */,         {"ms", 1000000},
    {"s", 1000000000},  {"m", 60000000000},   {"h", 3600000000000},
};
constexpr uint64_t kLimit = uint64_t{1} << 63;

// Go's leadingFraction: digits after the point; stops gaining precision on overflow.
void leading_fraction(std::string_view s, size_t* i, uint64_t* f, double* scale) {
  bool overflow = false;
  for (; *i < s.size() && s[*i] >= '0' && s[*i] <= '9'; ++*i) {
    if (overflow) continue;
    if (*f > (kLimit - 1) / 10) {
      overflow = true;
      continue;
    }
    uint64_t y = *f * 10 + static_cast<uint64_t>(s[*i] - '0');
    if (y > kLimit) {
      overflow = true;
      continue;
    }
    *f = y;
    *scale *= 10;
  }
}

}  // namespace

namespace {

// One "<number><unit>" group of a duration starting at s[*i], in nanoseconds.
Result<uint64_t> duration_component(std::string_view s, size_t* i, std::string_view text) {
  auto invalid = [&] { return fail("time: invalid duration " + quoted(text)); };
  if (s[*i] != '.' && (s[*i] < '0' || s[*i] > '9')) return invalid();
  uint64_t v = 0, f = 0;
  double scale = 1;
  size_t begin = *i;
  for (; *i < s.size() && s[*i] >= '0' && s[*i] <= '9'; ++*i) {
    if (v > kLimit / 10) return invalid();
    v = v * 10 + static_cast<uint64_t>(s[*i] - '0');
    if (v > kLimit) return invalid();
  }
  bool pre = *i != begin, post = false;
  if (*i < s.size() && s[*i] == '.') {
    size_t frac_begin = ++*i;
    leading_fraction(s, i, &f, &scale);
    post = *i != frac_begin;
  }
  if (!pre && !post) return invalid();
  size_t unit_begin = *i;
  while (*i < s.size() && s[*i] != '.' && (s[*i] < '0' || s[*i] > '9')) ++*i;
  if (*i == unit_begin) return fail("time: missing unit in duration " + quoted(text));
  std::string_view name = s.substr(unit_begin, *i - unit_begin);
  const DurationUnit* unit = nullptr;
  for (const auto& u : kDurationUnits) {
    if (u.name == name) unit = &u;
  }
  if (!unit) return fail("time: unknown unit " + quoted(name) + " in duration " + quoted(text));
  if (v > kLimit / unit->ns) return invalid();
  v *= unit->ns;
  if (f > 0) {
    // float64 keeps nanosecond accuracy for fractions of an hour (Go's comment).
    v += static_cast<uint64_t>(static_cast<double>(f) * (static_cast<double>(unit->ns) / scale));
    if (v > kLimit) return invalid();
  }
  return v;
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text) {
  auto invalid = [&] { return fail("time: invalid duration " + quoted(text)); };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return invalid();
  uint64_t total = 0;
  for (size_t i = 0; i < s.size();) {
    auto v = duration_component(s, &i, text);
    if (!v) return unexpected(std::move(v).error());
    total += *v;
    if (total > kLimit) return invalid();
  }
  if (neg) return static_cast<int64_t>(0 - total);  // 2^63 wraps to INT64_MIN as in Go
  if (total > kLimit - 1) return invalid();
  return static_cast<int64_t>(total);
}

namespace {

// Go's fmtFrac: the fraction v / 10^prec without trailing zeros (and no "." for 0).
std::string format_fraction(uint64_t* v, int prec) {
  std::string digits;
  bool print = false;
  for (int k = 0; k < prec; ++k) {
    uint64_t digit = *v % 10;
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    *v /= 10;
  }
  return print ? "." + digits : std::string();
}

}  // namespace

std::string format_duration(int64_t ns) {
  if (ns == 0) return "0s";
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string out;
  if (u < 1000000000) {
    // Under a second Go switches to the largest unit that keeps an integer part.
    int prec = 0;
    std::string unit = "ns";
    if (u >= 1000000) {
      prec = 6;
      unit = "ms";
    } else if (u >= 1000) {
      prec = 3;
      unit = "\xC2\xB5s";  // U+00B5, as Go prints it
    }
    std::string frac = format_fraction(&u, prec);
    out = std::to_string(u) + frac + unit;
  } else {
    std::string frac = format_fraction(&u, 9);
    out = std::to_string(u % 60) + frac + "s";
    u /= 60;
    if (u > 0) {
      out = std::to_string(u % 60) + "m" + out;
      u /= 60;
      if (u > 0) out = std::to_string(u) + "h" + out;  // no days: they vary in length
    }
  }
  return ns < 0 ? "-" + out : out;
}

Result<double> parse_cpus(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return fail("invalid cpus value " + quoted(text) + ": not a decimal number");
  }
  if (v < 0) return fail("invalid cpus value " + quoted(text) + ": must not be negative");
  return v;
}

}  // namespace stack::model
