#include "engine/model/values.hpp"

#include <charconv>

#include "engine/model/units.hpp"

namespace stack::model {
namespace {

Unexpected<Error> wrong_type(const Node& n, const std::string& path, std::string_view want) {
  return fail_at(n, path, "expected " + std::string(want) + ", got " + n.kind_name());
}

}  // namespace

Result<std::string> read_string(const Node& n, const std::string& path) {
  if (!n.is_scalar()) return wrong_type(n, path, "a string");
  return n.text;
}

Result<bool> read_bool(const Node& n, const std::string& path) {
  if (n.is_scalar() && !n.quoted) {
    if (n.text == "true" || n.text == "True" || n.text == "TRUE") return true;
    if (n.text == "false" || n.text == "False" || n.text == "FALSE") return false;
  }
  if (!n.is_scalar()) return wrong_type(n, path, "true or false");
  return fail_at(n, path, "expected true or false, got " + quote(n.text));
}

Result<int64_t> read_int(const Node& n, const std::string& path, int64_t min, int64_t max) {
  if (!n.is_scalar()) return wrong_type(n, path, "an integer");
  int64_t v = 0;
  const char* b = n.text.data();
  const char* e = b + n.text.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || b == e) {
    return fail_at(n, path, "expected an integer, got " + quote(n.text));
  }
  if (v < min || v > max) {
    return fail_at(n, path, quote(n.text) + " is out of range (" + std::to_string(min) + " to " +
                                std::to_string(max) + ")");
  }
  return v;
}

Result<int64_t> read_size(const Node& n, const std::string& path) {
  if (!n.is_scalar()) return wrong_type(n, path, "a size");
  auto v = parse_size(n.text);
  if (!v) return fail_at(n, path, "invalid size " + quote(n.text) + ": " + v.error().message);
  return *v;
}

Result<int64_t> read_duration(const Node& n, const std::string& path) {
  if (!n.is_scalar()) return wrong_type(n, path, "a duration");
  auto v = parse_duration_ns(n.text);
  if (!v) return fail_at(n, path, "invalid duration " + quote(n.text) + ": " + v.error().message);
  if (*v < 0) return fail_at(n, path, "negative duration " + quote(n.text));
  return *v;
}

Result<double> read_cpus(const Node& n, const std::string& path) {
  if (!n.is_scalar()) return wrong_type(n, path, "a number of CPUs");
  auto v = parse_cpus(n.text);
  if (!v) return fail_at(n, path, "invalid cpus " + quote(n.text) + ": " + v.error().message);
  return *v;
}

Result<std::vector<std::string>> read_string_list(const Node& n, const std::string& path) {
  if (!n.is_seq()) return wrong_type(n, path, "a list of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < n.items.size(); ++i) {
    auto s = read_string(n.items[i], index_path(path, i));
    if (!s) return unexpected(std::move(s).error());
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<std::string>> read_string_or_list(const Node& n, const std::string& path) {
  if (n.is_scalar()) return std::vector<std::string>{n.text};
  if (!n.is_seq()) return wrong_type(n, path, "a string or a list of strings");
  return read_string_list(n, path);
}

Result<std::map<std::string, std::string>> read_string_map(const Node& n, const std::string& path) {
  if (!n.is_map()) return wrong_type(n, path, "a mapping");
  std::map<std::string, std::string> out;
  for (const auto& e : n.entries) {
    if (e.value.is_null()) {
      out[e.key.text] = "";
      continue;
    }
    auto s = read_string(e.value, join_path(path, e.key.text));
    if (!s) return unexpected(std::move(s).error());
    out[e.key.text] = std::move(*s);
  }
  return out;
}

Result<void> expect_map(const Node& n, const std::string& path) {
  if (!n.is_map()) return wrong_type(n, path, "a mapping");
  return {};
}

Result<void> check_keys(const Node& n, const std::string& path,
                        std::initializer_list<std::string_view> allowed,
                        std::initializer_list<std::string_view> unsupported) {
  STACK_TRY(expect_map(n, path));
  for (const auto& e : n.entries) {
    bool ok = e.key.text.rfind("x-", 0) == 0;
    for (auto a : allowed) ok = ok || a == e.key.text;
    if (ok) continue;
    std::string p = join_path(path, e.key.text);
    for (auto u : unsupported) {
      if (u == e.key.text) return not_supported(e.key, p);
    }
    return fail_at(e.key, p, "unknown key " + quote(e.key.text));
  }
  return {};
}

Unexpected<Error> not_supported(const Node& key, const std::string& path) {
  return fail_at(key, path, quote(key.text) + " is not supported by stack (see docs/stack-file.md)");
}

}  // namespace stack::model
