#include "engine/runtime/caps.hpp"

#include <sys/capability.h>

#include <algorithm>
#include <cctype>

namespace stack::engine::runtime {

Result<int> cap_number(std::string_view name) {
  std::string lower;
  for (char c : name) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower.rfind("cap_", 0) != 0) lower = "cap_" + lower;
  cap_value_t v = 0;
  if (lower.size() > 4 && ::cap_from_name(lower.c_str(), &v) == 0 && v >= 0 && v < 64) return static_cast<int>(v);
  return fail("unknown capability '" + std::string(name) + "'");
}

std::string cap_name(int number) {
  char* text = ::cap_to_name(static_cast<cap_value_t>(number));
  std::string out = text ? text : "";
  if (text) ::cap_free(text);
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) return "CAP_" + std::to_string(number);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

uint64_t all_caps_mask() {
  return CAP_LAST_CAP >= 63 ? ~0ULL : ((1ULL << (CAP_LAST_CAP + 1)) - 1);
}

namespace {
bool is_all(const std::string& n) {
  return n == "ALL" || n == "all" || n == "CAP_ALL" || n == "cap_all";
}
}  // namespace

Result<uint64_t> adjust_caps(uint64_t base, const std::vector<std::string>& add,
                             const std::vector<std::string>& drop) {
  uint64_t mask = base;
  for (const auto& n : drop) {
    if (is_all(n)) {
      mask = 0;
      continue;
    }
    auto c = cap_number(n);
    if (!c) return unexpected(c.error().wrap("cap_drop"));
    mask &= ~(1ULL << *c);
  }
  for (const auto& n : add) {
    if (is_all(n)) {
      mask = all_caps_mask();
      continue;
    }
    auto c = cap_number(n);
    if (!c) return unexpected(c.error().wrap("cap_add"));
    mask |= 1ULL << *c;
  }
  return mask;
}

CapSets caps_from_mask(uint64_t mask) {
  CapSets s;
  s.bounding = s.permitted = s.effective = mask;
  return s;
}

std::vector<std::string> cap_names(uint64_t mask) {
  std::vector<std::string> out;
  for (int i = 0; i < 64; ++i)
    if (mask & (1ULL << i)) out.push_back(cap_name(i));
  return out;
}

}  // namespace stack::engine::runtime
