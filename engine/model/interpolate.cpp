// Interpolation as compose-go's template package does it (template/template.go):
// "$$" is a literal "$"; "$NAME" and "${NAME}" substitute; "${NAME<op>word}" with
// op one of :- - :+ + :? ? takes word up to the brace that closes "${" (braces
// inside word are counted, so `${X:-{"a":1}}` works), and word is itself
// interpolated, lazily: only when the operator uses it. A "$" followed by anything
// else ("$1", "$ ", "$}", a trailing "$") stays literal; "${" that does not start a
// valid braced form is an error.
#include "engine/model/interpolate.hpp"

#include <vector>

namespace stack::model {
namespace {

// Deeper nesting than any real file uses; it bounds recursion and the rescans of
// nested words, so hostile input ("${A:-${A:-..." 20,000 deep) fails fast.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxQuoted = 200;

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

class Interpolator {
 public:
  Interpolator(std::string_view whole, const Lookup& lookup, std::vector<std::string>* unset)
      : whole_(whole), lookup_(lookup), unset_(unset) {}

  Result<std::string> run(std::string_view text, int depth);

 private:
  Unexpected<Error> invalid() const;
  std::string value_of(std::string_view name, bool* set);
  // Handles the "${" at text[start]; on success appends to out and moves *next past "}".
  Result<void> braced(std::string_view text, size_t start, int depth, std::string& out,
                      size_t* next);
  Result<std::string> apply(std::string_view name, std::string_view op, std::string_view word,
                            int depth);

  std::string_view whole_;
  const Lookup& lookup_;
  std::vector<std::string>* unset_;
};

Unexpected<Error> Interpolator::invalid() const {
  std::string shown(whole_.substr(0, kMaxQuoted));
  if (whole_.size() > kMaxQuoted) shown += "...";
  return fail("invalid interpolation format for \"" + shown +
              "\": you may need to escape any $ with another $");
}

std::string Interpolator::value_of(std::string_view name, bool* set) {
  std::optional<std::string> v;
  if (lookup_) v = lookup_(name);
  *set = v.has_value();
  if (!v) {
    if (unset_) unset_->emplace_back(name);
    return {};
  }
  return std::move(*v);
}

// The end of word: the "}" that balances the "${" (depth counts every "{" and "}").
// Without one, compose's greedy pattern ends the form at the last "}" of the text.
size_t find_close(std::string_view text, size_t from) {
  int open = 1;
  for (size_t k = from; k < text.size(); ++k) {
    if (text[k] == '{') {
      ++open;
    } else if (text[k] == '}' && --open == 0) {
      return k;
    }
  }
  size_t last = text.rfind('}');
  return (last == std::string_view::npos || last < from) ? std::string_view::npos : last;
}

Result<void> Interpolator::braced(std::string_view text, size_t start, int depth,
                                  std::string& out, size_t* next) {
  size_t j = start + 2;
  if (j >= text.size() || !is_name_start(text[j])) return invalid();
  size_t name_begin = j;
  while (j < text.size() && is_name_char(text[j])) ++j;
  std::string_view name = text.substr(name_begin, j - name_begin);
  if (j < text.size() && text[j] == '}') {
    bool set = false;
    out += value_of(name, &set);
    *next = j + 1;
    return {};
  }
  size_t op_begin = j;
  if (j < text.size() && text[j] == ':') ++j;
  if (j >= text.size() || (text[j] != '-' && text[j] != '+' && text[j] != '?')) return invalid();
  ++j;
  std::string_view op = text.substr(op_begin, j - op_begin);
  size_t close = find_close(text, j);
  if (close == std::string_view::npos) return invalid();
  auto value = apply(name, op, text.substr(j, close - j), depth);
  if (!value) return unexpected(std::move(value).error());
  out += *value;
  *next = close + 1;
  return {};
}

Result<std::string> Interpolator::apply(std::string_view name, std::string_view op,
                                        std::string_view word, int depth) {
  bool colon = op.size() == 2;
  char kind = op.back();
  std::optional<std::string> v;
  if (lookup_) v = lookup_(name);
  bool usable = v.has_value() && (!colon || !v->empty());
  switch (kind) {
    case '-':  // default when unset (or, with ':', empty)
      if (usable) return std::move(*v);
      return run(word, depth + 1);
    case '+':  // replacement when set (or, with ':', non-empty)
      if (usable) return run(word, depth + 1);
      return v.value_or(std::string());
    default: {  // '?': required
      if (usable) return std::move(*v);
      auto reason = run(word, depth + 1);
      if (!reason) return reason;
      std::string msg = "required variable " + std::string(name) + " is missing a value";
      if (!reason->empty()) msg += ": " + *reason;
      return fail(msg);
    }
  }
}

Result<std::string> Interpolator::run(std::string_view text, int depth) {
  if (depth > kMaxDepth) {
    return fail("invalid interpolation format: substitutions nested deeper than " +
                std::to_string(kMaxDepth) + " levels");
  }
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      ++i;
      continue;
    }
    char nx = text[i + 1];
    if (nx == '$') {
      out += '$';
      i += 2;
    } else if (is_name_start(nx)) {
      size_t j = i + 1;
      while (j < text.size() && is_name_char(text[j])) ++j;
      bool set = false;
      out += value_of(text.substr(i + 1, j - i - 1), &set);
      i = j;
    } else if (nx == '{') {
      STACK_TRY(braced(text, i, depth, out, &i));
    } else {
      out += c;  // "$1", "$ ", "$}": not a substitution, kept as written
      ++i;
    }
  }
  return out;
}

}  // namespace

Result<std::string> interpolate(std::string_view text, const Lookup& lookup) {
  return interpolate(text, lookup, nullptr);
}

Result<std::string> interpolate(std::string_view text, const Lookup& lookup,
                                std::vector<std::string>* unset_names) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  Interpolator interpolator(text, lookup, unset_names);
  return interpolator.run(text, 0);
}

}  // namespace stack::model
