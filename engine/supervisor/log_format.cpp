#include "engine/supervisor/log_format.hpp"

#include <time.h>

#include <nlohmann/json.hpp>

namespace stack::supervisor {

void LineSplitter::feed(std::string_view bytes, std::vector<LogEntry>& out) {
  pending_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    std::string_view rest(pending_.data() + start, pending_.size() - start);
    std::size_t nl = rest.find('\n');
    if (nl != std::string_view::npos && nl <= kMaxLogLine) {
      out.push_back({std::string(rest.substr(0, nl)), true});
      start += nl + 1;
    } else if (rest.size() > kMaxLogLine) {
      // More than 16 KiB without a newline: the newline is not within reach.
      out.push_back({std::string(rest.substr(0, kMaxLogLine)), false});
      start += kMaxLogLine;
    } else {
      break;
    }
  }
  pending_.erase(0, start);
}

void LineSplitter::finish(std::vector<LogEntry>& out) {
  std::vector<LogEntry> tail;
  feed({}, tail);
  for (auto& e : tail) out.push_back(std::move(e));
  if (!pending_.empty()) out.push_back({std::move(pending_), false});
  pending_.clear();
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8_len(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;
    if (c == 0xED && b(1) > 0x9F) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;
    if (c == 0xF4 && b(1) > 0x8F) return 0;
    return 4;
  }
  return 0;
}

// The escaped characters of a JSON string, without the quotes.
void append_json_body(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_len(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
}

}  // namespace

void encode_log_line(const LogEntry& e, std::string_view stream, int64_t time_ns, std::string& out) {
  out += "{\"log\":\"";
  append_json_body(e.text, out);
  if (e.newline) out += "\\n";
  out += "\",\"stream\":\"";
  append_json_body(stream, out);
  out += "\",\"time\":\"";
  out += format_rfc3339_nano(time_ns);
  out += "\"}\n";
}

Result<LogRecord> parse_log_line(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("log") || !j["log"].is_string() || !j.contains("time") ||
      !j["time"].is_string())
    return fail("not a json-file log record");
  LogRecord r;
  r.log = j["log"].get<std::string>();
  if (j.contains("stream") && j["stream"].is_string()) r.stream = j["stream"].get<std::string>();
  auto t = parse_rfc3339(j["time"].get<std::string>());
  if (!t) return unexpected(t.error());
  r.time_ns = *t;
  return r;
}

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace stack::supervisor
