// libFuzzer target for the model's syntax helpers: interpolation, dotenv, sizes,
// durations, cpus and shell words must never crash or hang on any input, and a
// duration must survive format -> parse unchanged (Go's Duration.String round trip).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "engine/model/dotenv.hpp"
#include "engine/model/interpolate.hpp"
#include "engine/model/units.hpp"

namespace {

std::optional<std::string> lookup(std::string_view name) {
  if (name == "FOO") return std::string("foo");
  if (name == "EMPTY") return std::string();
  if (name == "LOOP") return std::string("${LOOP}");  // values are never re-expanded
  return std::nullopt;
}

void check_duration_round_trip(const uint8_t* data, size_t size) {
  if (size < sizeof(int64_t)) return;
  int64_t ns = 0;
  std::memcpy(&ns, data, sizeof ns);
  auto back = stack::model::parse_duration_ns(stack::model::format_duration(ns));
  if (!back || *back != ns) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto interpolated = stack::model::interpolate(text, lookup);
  // Text without "$" comes back as it is.
  if (text.find('$') == std::string_view::npos && (!interpolated || *interpolated != text)) {
    __builtin_trap();
  }
  if (!interpolated && interpolated.error().message.empty()) __builtin_trap();
  auto env = stack::model::parse_dotenv(text, lookup);
  if (!env && env.error().message.rfind("line ", 0) != 0) __builtin_trap();  // "line N: ..."
  (void)stack::model::parse_size(text);
  (void)stack::model::parse_duration_ns(text);
  (void)stack::model::parse_cpus(text);
  (void)stack::model::shell_split(text);
  check_duration_round_trip(data, size);
  return 0;
}
