#include "engine/supervisor/log_format.hpp"

#include <time.h>

#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <nlohmann/json.hpp>

namespace stack::supervisor {

void LineSplitter::feed(std::string_view bytes, std::vector<LogEntry>& out) {
  feed_each(bytes, [&](std::string_view text, bool newline, bool) { out.push_back({std::string(text), newline}); });
}

void LineSplitter::finish(std::vector<LogEntry>& out) {
  finish_each([&](std::string_view text, bool newline, bool) { out.push_back({std::string(text), newline}); });
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

constexpr std::size_t kBlock = 16;

// The line end and plainness (find_line_end) from byte k on, where p[k] is the first
// byte that is not plain: a newline ends a plain line, anything else makes it not
// plain and the newline is looked for alone.
std::size_t end_from(const char* p, std::size_t n, std::size_t k, bool& plain) {
  plain = p[k] == '\n';
  if (plain) return k;
  const void* nl = std::memchr(p + k, '\n', n - k);
  return nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - p) : n;
}

// find_line_end with blocks of `width` bytes whose mask of bytes that are not plain
// (bit i: byte i) special(p) gives: whole blocks, then the last block again (it
// overlaps plain bytes already seen, so its first set bit is at or after i).
template <std::size_t width, class Special>
inline __attribute__((always_inline)) std::size_t find_line_end_by(const char* p, std::size_t n, bool& plain,
                                                                   Special special) {
  if (n < width) {
    for (std::size_t i = 0; i < n; ++i)
      if (!kPlain[static_cast<unsigned char>(p[i])]) return end_from(p, n, i, plain);
    plain = true;
    return n;
  }
  std::size_t i = 0;
  for (; i + width <= n; i += width)
    if (auto m = special(p + i)) return end_from(p, n, i + static_cast<std::size_t>(__builtin_ctzll(m)), plain);
  if (i < n)
    if (auto m = special(p + n - width)) return end_from(p, n, n - width + static_cast<std::size_t>(__builtin_ctzll(m)), plain);
  plain = true;
  return n;
}

// Which of the 16 bytes at p are not plain (bit i: byte i), compared side by side (SSE2
// on x86-64, GCC's vector extensions elsewhere). As signed bytes, those from 0x80 up
// are negative, so one comparison finds both control bytes and the start of UTF-8;
// (v | 4) == '&' finds '"' (0x22) and '&' (0x26) and nothing else, (v | 2) == '>'
// finds '<' (0x3C) and '>' (0x3E): four comparisons for the six kinds of byte.
#if defined(__SSE2__)
unsigned special16(const char* p) {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i special = _mm_or_si128(
      _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(4)), _mm_set1_epi8('&'))),
      _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(2)), _mm_set1_epi8('>')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#else
unsigned special16(const char* p) {
  using Bytes = signed char __attribute__((vector_size(kBlock)));
  Bytes v;
  std::memcpy(&v, p, kBlock);
  Bytes special = (v < 0x20) | ((v | 4) == '&') | ((v | 2) == '>') | (v == '\\');
  unsigned m = 0;
  for (std::size_t i = 0; i < kBlock; ++i) m |= (special[i] ? 1u : 0u) << i;
  return m;
}
#endif

bool all_plain(const char* p) { return special16(p) == 0; }

std::size_t find_line_end_16(const char* p, std::size_t n, bool& plain) {
  return find_line_end_by<16>(p, n, plain, special16);
}

#if defined(__x86_64__)
// The same comparisons on 32 bytes (AVX2), in a function of its own compiled for it and
// called only where the CPU has it: 15% less user time than SSE2 for 500 MB of 100-byte
// lines through the splitter and LogFile (a loop over the whole read that did not
// return per line was slower: its lines were copied after their bytes left L1).
__attribute__((target("avx2"))) std::size_t find_line_end_32(const char* p, std::size_t n, bool& plain) {
  auto special32 = [](const char* q) __attribute__((target("avx2"))) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
    __m256i special = _mm256_or_si256(
        _mm256_or_si256(_mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v),
                        _mm256_cmpeq_epi8(_mm256_or_si256(v, _mm256_set1_epi8(4)), _mm256_set1_epi8('&'))),
        _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_or_si256(v, _mm256_set1_epi8(2)), _mm256_set1_epi8('>')),
                        _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))));
    return static_cast<uint32_t>(_mm256_movemask_epi8(special));
  };
  return find_line_end_by<32>(p, n, plain, special32);
}

using FindLineEnd = std::size_t (*)(const char*, std::size_t, bool&);
const FindLineEnd kFindLineEnd = [] {
  __builtin_cpu_init();  // static initialisers may run before libgcc's
  return __builtin_cpu_supports("avx2") ? find_line_end_32 : find_line_end_16;
}();
#endif

}  // namespace

std::vector<FindLineEndFn> find_line_end_variants() {
  std::vector<FindLineEndFn> out{find_line_end_16};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) out.push_back(find_line_end_32);
#endif
  return out;
}

namespace {

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

// The record end of encode_log_line's lines, kept from one call to the next.
std::string_view suffix_for(std::string_view stream, int64_t time_ns, bool newline) {
  thread_local RecordEnd cache;
  cache.set(stream, time_ns);
  return cache.text(newline);
}

}  // namespace

void RecordEnd::set(std::string_view stream, int64_t time_ns) {
  if (!text_.empty() && time_ns_ == time_ns && same(stream, stream_)) return;
  time_ns_ = time_ns;
  stream_.assign(stream);
  text_.assign("\\n\",\"stream\":\"");
  append_json_body(stream, text_);
  text_ += "\",\"time\":\"";
  text_ += format_rfc3339_nano(time_ns);
  text_ += "\"}\n";
}

std::size_t find_line_end(std::string_view bytes, bool& plain) {
#if defined(__x86_64__)
  return kFindLineEnd(bytes.data(), bytes.size(), plain);
#else
  return find_line_end_16(bytes.data(), bytes.size(), plain);
#endif
}

void encode_log_line(std::string_view text, bool newline, std::string_view stream, int64_t time_ns,
                     std::string& out, bool plain) {
  out.append("{\"log\":\"", 8);
  // Not known: the splitter's scan says (a newline in text needs escaping too, so any
  // line end before text's end means not plain).
  if (!plain) plain = find_line_end(text, plain) == text.size() && plain;
  if (plain)
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
