// The .env / env_file format of compose-go (dotenv/parser.go), statement by statement:
// skip blank space and "#" comment lines; an optional "export " prefix; a key of
// letters, digits and "_ . - [ ]" ended by "=", ":" (yaml-like) or a newline (bare
// KEY: inherited from the lookup); then a single-quoted (literal), double-quoted
// (escapes, then interpolation) or unquoted value (to the end of the line, " #" starts
// a comment, interpolation). A quoted value may span lines.
// Deliberate differences, both cases compose-go gets wrong: an empty key ("=x") is an
// error, and a bare KEY on the last line without a newline is inherited like any other.
#include "engine/model/dotenv.hpp"

#include <algorithm>
#include <map>

namespace stack::model {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }
bool is_space(char c) { return is_blank(c) || c == '\n'; }
bool is_key_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  // Bytes of multi-byte UTF-8 sequences are accepted as letters (Go: unicode.IsLetter).
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || u >= 0x80;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Go escapes in double-quoted values: \a \b \f \n \r \t \v \\ \" , "\$" as a literal
// dollar (passed on as "$$" to interpolation) and octal "\0NNN"; anything else is kept.
std::string expand_escapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[i + 1];
    static constexpr std::string_view kFrom = "abfnrtv\"\\", kTo = "\a\b\f\n\r\t\v\"\\";
    if (auto k = kFrom.find(c); k != std::string_view::npos) {
      out += kTo[k];
      ++i;
    } else if (c == '$') {
      out += "$$";
      ++i;
    } else if (c == '0') {
      size_t j = i + 2;
      while (j < s.size() && j < i + 5 && s[j] >= '0' && s[j] <= '9') ++j;
      std::string_view digits = s.substr(i + 2, j - i - 2);
      unsigned v = 0;
      bool octal = digits.size() == 3;
      for (char d : digits) {
        octal = octal && d <= '7';
        v = v * 8 + static_cast<unsigned>(d - '0');
      }
      if (octal && v <= 255) {
        append_utf8(out, v);
      } else {
        out += s.substr(i, j - i);  // Go's UnquoteChar refuses it: kept as written
      }
      i = j - 1;
    } else {
      out += '\\';  // "\c", "\x": not an escape, the backslash stays
    }
  }
  return out;
}

class DotenvParser {
 public:
  DotenvParser(std::string_view text, const Lookup& lookup) : text_(text), lookup_(lookup) {}
  Result<std::vector<EnvEntry>> parse();

 private:
  int line_at(size_t pos);
  Unexpected<Error> error_at(size_t pos, const std::string& reason) {
    return fail("line " + std::to_string(line_at(pos)) + ": " + reason);
  }
  std::optional<std::string> look(std::string_view name) const;
  Result<std::string> expand(std::string_view value, size_t pos);
  Result<std::string> quoted_value(size_t* pos);
  Result<std::string> unquoted_value(size_t* pos);
  void add(std::string key, std::optional<std::string> value, int line);

  std::string_view text_;
  const Lookup& lookup_;
  std::map<std::string, std::string, std::less<>> seen_;
  size_t longest_ = 0;  // the longest value set so far, for the expansion budget
  std::vector<EnvEntry> entries_;
  size_t line_pos_ = 0;  // line_at() counts forward from here
  int line_ = 1;
};

int DotenvParser::line_at(size_t pos) {
  for (; line_pos_ < pos && line_pos_ < text_.size(); ++line_pos_) {
    if (text_[line_pos_] == '\n') ++line_;
  }
  return line_;
}

// The process environment wins over keys set earlier in the same file (compose-go
// expandVariables asks its lookup first).
std::optional<std::string> DotenvParser::look(std::string_view name) const {
  if (lookup_) {
    if (auto v = lookup_(name)) return v;
  }
  if (auto it = seen_.find(name); it != seen_.end()) return it->second;
  return std::nullopt;
}

Result<std::string> DotenvParser::expand(std::string_view value, size_t pos) {
  // Each line may reference earlier keys several times, so sizes can double line after
  // line (A=x, B=$A$A, C=$B$B, ...). Refuse before expanding what could outgrow the budget.
  constexpr size_t kBudget = 16u << 20;
  size_t refs = static_cast<size_t>(std::count(value.begin(), value.end(), '$'));
  if (refs != 0 && longest_ > (kBudget - value.size()) / refs)
    return error_at(pos, "expanded value would exceed " + std::to_string(kBudget >> 20) + " MiB");
  auto r = interpolate(value, [this](std::string_view n) { return look(n); });
  if (!r) return error_at(pos, r.error().message);
  return r;
}

Result<std::string> DotenvParser::quoted_value(size_t* pos) {
  size_t start = *pos;
  char quote = text_[start];
  std::string chars;
  bool escaped = false;
  for (size_t i = start + 1; i < text_.size(); ++i) {
    char c = text_[i];
    if (c != quote || escaped) {
      if (!escaped && c == '\\') {
        escaped = true;
        continue;
      }
      // A backslash before the quote character is dropped; before anything else it
      // stays for expand_escapes (double quotes) or literally (single quotes).
      if (escaped && c != quote) chars += '\\';
      escaped = false;
      chars += c;
      continue;
    }
    *pos = i + 1;
    if (quote == '\'') return chars;
    return expand(expand_escapes(chars), start);
  }
  size_t eol = text_.find('\n', start);
  return error_at(start, "unterminated quoted value " +
                             std::string(text_.substr(start, eol == std::string_view::npos
                                                                 ? std::string_view::npos
                                                                 : eol - start)));
}

Result<std::string> DotenvParser::unquoted_value(size_t* pos) {
  size_t start = *pos;
  size_t eol = text_.find('\n', start);
  if (eol == std::string_view::npos) eol = text_.size();
  std::string_view value = text_.substr(start, eol - start);
  if (auto hash = value.find(" #"); hash != std::string_view::npos) value = value.substr(0, hash);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  *pos = eol;
  return expand(value, start);
}

void DotenvParser::add(std::string key, std::optional<std::string> value, int line) {
  if (value) {
    longest_ = std::max(longest_, value->size());
    seen_[key] = *value;
  } else if (seen_.count(key) != 0) {
    return;  // an inherited KEY the lookup lacks leaves an earlier value in place
  }
  entries_.push_back(EnvEntry{std::move(key), std::move(value), line});
}

Result<std::vector<EnvEntry>> DotenvParser::parse() {
  size_t pos = 0;
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 byte order mark
  while (true) {
    while (pos < text_.size() && is_space(text_[pos])) ++pos;
    if (pos >= text_.size()) break;
    if (text_[pos] == '#') {
      pos = text_.find('\n', pos);
      if (pos == std::string_view::npos) break;
      continue;
    }
    int line = line_at(pos);
    if (text_.substr(pos, 6) == "export" && pos + 6 < text_.size() && is_blank(text_[pos + 6])) {
      pos += 6;
      while (pos < text_.size() && is_blank(text_[pos])) ++pos;
    }
    size_t k = pos;
    while (k < text_.size() && text_[k] != '=' && text_[k] != ':' && text_[k] != '\n') {
      if (!is_blank(text_[k]) && !is_key_char(text_[k])) {
        size_t eol = text_.find('\n', pos);
        std::string_view rest = text_.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
        return error_at(k, "unexpected character \"" + std::string(1, text_[k]) +
                               "\" in variable name \"" + std::string(rest) + "\"");
      }
      ++k;
    }
    std::string_view key = text_.substr(pos, k - pos);
    while (!key.empty() && is_blank(key.back())) key.remove_suffix(1);
    if (key.find_first_of(" \t\v\f\r") != std::string_view::npos) {
      return error_at(pos, "key cannot contain a space");
    }
    if (key.empty()) return error_at(pos, "empty variable name");
    if (k >= text_.size() || text_[k] == '\n') {  // bare KEY: inherited
      add(std::string(key), look(key), line);
      pos = k;
      continue;
    }
    pos = k + 1;
    while (pos < text_.size() && is_blank(text_[pos])) ++pos;
    bool quoted = pos < text_.size() && (text_[pos] == '"' || text_[pos] == '\'');
    auto value = quoted ? quoted_value(&pos) : unquoted_value(&pos);
    if (!value) return unexpected(std::move(value).error());
    add(std::string(key), std::move(*value), line);
  }
  return std::move(entries_);
}

}  // namespace

Result<std::vector<EnvEntry>> parse_dotenv(std::string_view text, const Lookup& lookup) {
  DotenvParser parser(text, lookup);
  return parser.parse();
}

}  // namespace stack::model
