#pragma once
// How `logs` and a foreground `up` print lines, like docker compose's log consumer
// (cmd/formatter/logs.go): a prefix "<name><pad> | " padded to the longest name plus
// one, coloured per container from compose's rainbow in the order containers appear;
// -t puts the record's time (RFC3339NanoFixed) after the prefix.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/supervisor/log_reader.hpp"

namespace stack::supervisor {

struct PrintOptions {
  bool color = false;       // ANSI colours on the prefix
  bool prefix = true;       // false: --no-log-prefix
  bool timestamps = false;  // -t
};

// Colours only when stdout is a terminal, --no-color was not given and NO_COLOR is
// unset or empty (no-color.org).
bool use_color(bool no_color_flag, int fd);

// 2006-01-02T15:04:05.000000000Z: always nine fraction digits (Docker's
// jsonmessage.RFC3339NanoFixed), so that columns line up.
std::string format_rfc3339_nano_fixed(int64_t time_ns);

class LogPrinter {
 public:
  explicit LogPrinter(PrintOptions o) : options_(o) {}
  // Registers a name (its colour is the next of the rainbow); widens every prefix.
  void add(const std::string& name);
  // The text to print for one line, "" while a long line's partial pieces are being
  // joined (they are printed as one line when its last piece comes).
  std::string format(const LogLine& line, const std::string& name);
  // Whatever partial pieces are still held, as lines (at the end of the output).
  std::string flush();
  const std::string& prefix(const std::string& name);

 private:
  struct Held {
    std::string text;
    int64_t time_ns = 0;
  };
  std::string render(const std::string& name, int64_t time_ns, const std::string& text);
  PrintOptions options_;
  std::vector<std::string> names_;                  // in order of appearance
  std::map<std::string, std::string> prefixes_;
  std::map<std::pair<std::string, std::string>, Held> held_;  // (name, stream)
  std::size_t width_ = 0;
};

}  // namespace stack::supervisor
