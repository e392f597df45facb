#include "engine/supervisor/log_format.hpp"

#include <time.h>

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <nlohmann/json.hpp>

namespace stack::supervisor {

void LineSplitter::feed(std::string_view bytes, std::vector<LogEntry>& out) {
  feed_each(bytes, [&](std::string_view text, bool newline) { out.push_back({std::string(text), newline}); });
}

void LineSplitter::finish(std::vector<LogEntry>& out) {
  finish_each([&](std::string_view text, bool newline) { out.push_back({std::string(text), newline}); });
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

// Bytes copied as they are: printable ASCII but for the quote, the backslash and the
// HTML characters Docker escapes.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<std::size_t>(c)] = true;
  for (unsigned char c : {'"', '\\', '<', '>', '&'}) t[c] = false;
  return t;
}();

// Whether the 16 bytes at p are all plain, compared side by side (SSE2 on x86-64,
// GCC's vector extensions elsewhere, NEON on arm64). As signed bytes, those from 0x80
// up are negative, so one comparison finds both control bytes and the start of UTF-8;
// (v | 4) == '&' finds '"' (0x22) and '&' (0x26) and nothing else, (v | 2) == '>'
// finds '<' (0x3C) and '>' (0x3E): four comparisons for the six kinds of byte.
constexpr std::size_t kBlock = 16;
#if defined(__SSE2__)
bool all_plain(const char* p) {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(4)), _mm_set1_epi8('&'))),
      _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(2)), _mm_set1_epi8('>')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return _mm_movemask_epi8(special) == 0;
}
#else
bool all_plain(const char* p) {
  using Bytes = signed char __attribute__((vector_size(kBlock)));
  Bytes v;
  std::memcpy(&v, p, kBlock);
  Bytes special = (v < 0x20) | ((v | 4) == '&') | ((v | 2) == '>') | (v == '\\');
  uint64_t half[2];
  std::memcpy(half, &special, kBlock);
  return (half[0] | half[1]) == 0;
}
#endif

// Whether s needs no escape at all: whole blocks, then the last 16 bytes again (they
// overlap the blocks before) rather than a byte at a time.
bool plain_text(std::string_view s) {
  const char* p = s.data();
  const std::size_t n = s.size();
  if (n < kBlock) {
    for (std::size_t i = 0; i < n; ++i)
      if (!kPlain[static_cast<unsigned char>(p[i])]) return false;
    return true;
  }
  for (std::size_t i = 0; i + kBlock <= n; i += kBlock)
    if (!all_plain(p + i)) return false;
  return all_plain(p + n - kBlock);
}

// The escaped characters of a JSON string, without the quotes. Runs of bytes that
// need no escape (valid UTF-8 included) are appended in one piece.
void append_json_body(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  const char* const data = s.data();
  std::size_t run = 0, i = 0;
  while (i < s.size()) {
    if (i + kBlock <= s.size() && all_plain(data + i)) {
      i += kBlock;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(data[i]);
    if (kPlain[c]) {
      ++i;
      continue;
    }
    std::size_t n = c >= 0x80 ? utf8_len(s, i) : 1;
    // U+2028 and U+2029 (E2 80 A8/A9) end a line in JavaScript: escaped as Docker does.
    bool separator = n == 3 && c == 0xE2 && data[i + 1] == '\x80' && (data[i + 2] == '\xA8' || data[i + 2] == '\xA9');
    if (n > 1 && !separator) {
      i += n;
      continue;
    }
    out.append(data + run, i - run);
    if (separator) {
      out += data[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 3;
    } else if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: {
          const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(u, sizeof u);
        }
      }
      ++i;
    }
    run = i;
  }
  out.append(data + run, s.size() - run);
}

// `","stream":"<stream>","time":"<time>"}` and the newline, with and without the
// escaped newline of a whole line before it: the same for every line of one read (one
// time), so they are made once per read rather than once per line.
struct Suffix {
  int64_t time_ns = 0;
  std::string stream;
  std::string text;  // "\\n" + the suffix; text.substr(2): the suffix alone
};

// a == b, for the short stream names ("stdout", "stderr") without a call: two
// overlapping 4-byte loads cover 4 to 8 bytes.
bool same(std::string_view a, const std::string& b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 4 || n > 8) return a == std::string_view(b);
  uint32_t a0, a1, b0, b1;
  std::memcpy(&a0, a.data(), 4);
  std::memcpy(&a1, a.data() + n - 4, 4);
  std::memcpy(&b0, b.data(), 4);
  std::memcpy(&b1, b.data() + n - 4, 4);
  return a0 == b0 && a1 == b1;
}

std::string_view suffix_for(std::string_view stream, int64_t time_ns, bool newline) {
  thread_local Suffix cache;
  if (cache.text.empty() || cache.time_ns != time_ns || !same(stream, cache.stream)) {
    cache.time_ns = time_ns;
    cache.stream.assign(stream);
    cache.text.assign("\\n\",\"stream\":\"");
    append_json_body(stream, cache.text);
    cache.text += "\",\"time\":\"";
    cache.text += format_rfc3339_nano(time_ns);
    cache.text += "\"}\n";
  }
  std::string_view t(cache.text);
  return newline ? t : t.substr(2);
}

}  // namespace

void encode_log_line(std::string_view text, bool newline, std::string_view stream, int64_t time_ns,
                     std::string& out) {
  out.append("{\"log\":\"", 8);
  if (plain_text(text))
    out.append(text);
  else
    append_json_body(text, out);
  out += suffix_for(stream, time_ns, newline);
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
