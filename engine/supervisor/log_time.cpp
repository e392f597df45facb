// Timestamps of the json-file format and of `logs --since/--until`.
#include <time.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

// Reads exactly n digits at s[pos].
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

struct Civil {
  tm fields{};
  int64_t frac_ns = 0;
  std::size_t end = 0;  // index after what was parsed
};

// "YYYY-MM-DD" and optionally "THH:MM:SS[.fraction]" (a space is accepted for T).
bool parse_civil(std::string_view s, Civil& c, bool need_time) {
  int y, mo, d;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return false;
  c.fields.tm_year = y - 1900;
  c.fields.tm_mon = mo - 1;
  c.fields.tm_mday = d;
  c.end = 10;
  if (s.size() == 10) return !need_time && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
  int h, mi, se;
  if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s.size() < 19 ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return false;
  c.fields.tm_hour = h;
  c.fields.tm_min = mi;
  c.fields.tm_sec = se;
  c.end = 19;
  if (c.end < s.size() && s[c.end] == '.') {
    std::size_t i = c.end + 1;
    int64_t scale = kNsPerSec / 10;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      c.frac_ns += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == c.end + 1) return false;
    c.end = i;
  }
  return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61;
}

Unexpected<Error> bad_time(std::string_view s) {
  return fail("invalid time '" + std::string(s) +
              "': want RFC 3339 (2006-01-02T15:04:05Z), a unix timestamp or a duration such as 10m");
}

}  // namespace

std::string format_rfc3339_nano(int64_t time_ns) {
  time_t sec = static_cast<time_t>(time_ns / kNsPerSec);
  int64_t ns = time_ns % kNsPerSec;
  if (ns < 0) {
    ns += kNsPerSec;
    --sec;
  }
  tm t{};
  ::gmtime_r(&sec, &t);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  std::string out(buf, n);
  if (ns != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(ns));
    std::string f(frac);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

Result<int64_t> parse_rfc3339(std::string_view s) {
  Civil c;
  if (!parse_civil(s, c, true) || c.end >= s.size()) return bad_time(s);
  int64_t offset = 0;
  std::string_view zone = s.substr(c.end);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else {
    int oh, om;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !digits(zone, 1, 2, oh) ||
        zone[3] != ':' || !digits(zone, 4, 2, om))
      return bad_time(s);
    offset = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
  }
  int64_t sec = static_cast<int64_t>(::timegm(&c.fields)) - offset;
  return sec * kNsPerSec + c.frac_ns;
}

Result<int64_t> parse_go_duration(std::string_view s) {
  if (s.empty()) return fail("invalid duration ''");
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"\xC2\xB5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == start) return fail("invalid duration '" + std::string(s) + "'");
    double v = std::strtod(std::string(s.substr(start, i - start)).c_str(), nullptr);
    std::size_t ustart = i;
    while (i < s.size() && !std::isdigit(static_cast<unsigned char>(s[i])) && s[i] != '.') ++i;
    std::string_view unit = s.substr(ustart, i - ustart);
    const double* scale = nullptr;
    for (const auto& [name, f] : kUnits)
      if (unit == name) scale = &f;
    if (!scale) return fail("invalid duration '" + std::string(s) + "': unknown unit '" + std::string(unit) + "'");
    total += v * *scale;
  }
  return static_cast<int64_t>(std::llround(total));
}

Result<int64_t> parse_time_arg(std::string_view s, int64_t now) {
  if (s.empty()) return bad_time(s);
  // A unix timestamp: digits with an optional fraction.
  bool numeric = s.find_first_not_of("0123456789.") == std::string_view::npos;
  if (numeric) {
    std::size_t dot = s.find('.');
    int64_t sec = 0;
    auto ip = s.substr(0, dot);
    if (std::from_chars(ip.data(), ip.data() + ip.size(), sec).ec != std::errc()) return bad_time(s);
    int64_t frac = 0;
    if (dot != std::string_view::npos) {
      int64_t scale = kNsPerSec / 10;
      for (char c : s.substr(dot + 1)) {
        if (c == '.') return bad_time(s);
        frac += (c - '0') * scale;
        scale /= 10;
      }
    }
    return sec * kNsPerSec + frac;
  }
  if (auto d = parse_go_duration(s)) return now - *d;
  if (auto t = parse_rfc3339(s)) return *t;
  // Without a zone docker reads the time in the local zone (mktime, tm_isdst = -1).
  Civil c;
  if (!parse_civil(s, c, false) || c.end != s.size()) return bad_time(s);
  c.fields.tm_isdst = -1;
  time_t sec = ::mktime(&c.fields);
  return static_cast<int64_t>(sec) * kNsPerSec + c.frac_ns;
}

}  // namespace stack::supervisor
