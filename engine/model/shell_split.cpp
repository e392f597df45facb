// `command: echo "a b"` is split into argv as compose does it, with mattn/go-shellwords
// (no environment or backtick expansion): blanks separate words; single quotes are
// literal; a backslash outside single quotes keeps the next character (inside double
// quotes too); "" yields an empty word; "$(...)" and `...` are kept verbatim as part of
// a word. Where go-shellwords silently stops at an unquoted ; & | < > (compose then runs
// only the words before it) we fail instead: nothing in a stack file is dropped silently.
#include "engine/model/units.hpp"

namespace stack::model {
namespace {

bool is_word_break(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

class ShellSplitter {
 public:
  explicit ShellSplitter(std::string_view text) : text_(text) {}
  Result<std::vector<std::string>> split();

 private:
  Unexpected<Error> invalid(const std::string& why) const {
    return fail("invalid command string \"" + std::string(text_) + "\": " + why);
  }
  bool in_quote() const { return single_ || double_ || backquote_ || dollar_; }
  // Returns true when c was consumed as syntax (not part of a word).
  Result<bool> special(char c);
  void end_word() {
    if (got_word_) words_.push_back(std::move(word_));
    word_.clear();
    got_word_ = false;
  }

  std::string_view text_;
  std::vector<std::string> words_;
  std::string word_;
  bool got_word_ = false, escaped_ = false, single_ = false, double_ = false;
  bool backquote_ = false, dollar_ = false;
};

Result<bool> ShellSplitter::special(char c) {
  switch (c) {
    case '`':
      if (!single_ && !double_ && !dollar_) backquote_ = !backquote_;
      return false;  // the backtick itself stays in the word
    case ')':
      if (single_ || double_ || backquote_) return false;
      if (!dollar_) return invalid("unmatched ')'");
      dollar_ = false;
      return false;
    case '(':
      if (single_ || double_ || backquote_) return false;
      if (dollar_ || word_.empty() || word_.back() != '$') return invalid("unquoted '('");
      dollar_ = true;
      return false;
    case '"':
      if (single_ || dollar_ || backquote_) return false;
      if (double_) got_word_ = true;  // "" is an (empty) word
      double_ = !double_;
      return true;
    case '\'':
      if (double_ || dollar_ || backquote_) return false;
      if (single_) got_word_ = true;
      single_ = !single_;
      return true;
    case ';':
    case '&':
    case '|':
    case '<':
    case '>':
      if (in_quote()) return false;
      return invalid(std::string("unquoted shell operator '") + c +
                     "' (no shell runs the command: quote it, use the list form, or sh -c)");
    default:
      return false;
  }
}

Result<std::vector<std::string>> ShellSplitter::split() {
  for (char c : text_) {
    if (escaped_) {
      escaped_ = false;
      if (backquote_ || dollar_) word_ += '\\';
      word_ += c;
      got_word_ = true;
      continue;
    }
    if (c == '\\') {
      if (single_) {
        word_ += c;
      } else {
        escaped_ = true;
      }
      continue;
    }
    if (is_word_break(c)) {
      if (in_quote()) {
        word_ += c;
      } else {
        end_word();
      }
      continue;
    }
    auto consumed = special(c);
    if (!consumed) return unexpected(std::move(consumed).error());
    if (*consumed) continue;
    word_ += c;
    got_word_ = true;
  }
  if (escaped_) return invalid("trailing backslash");
  if (single_) return invalid("unterminated single quote");
  if (double_) return invalid("unterminated double quote");
  if (backquote_) return invalid("unterminated backquote");
  if (dollar_) return invalid("unterminated $(");
  end_word();
  return std::move(words_);
}

}  // namespace

Result<std::vector<std::string>> shell_split(std::string_view text) {
  ShellSplitter splitter(text);
  return splitter.split();
}

}  // namespace stack::model
