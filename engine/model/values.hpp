#pragma once
// Typed reads of YAML nodes for the normaliser. Each failure names the place and path:
// "stack.yaml:3:12: services.web.mem_limit: invalid size "12q"".
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/model/yaml_tree.hpp"

// Assigns a Result's value or returns its error (for the normaliser's many fields).
#define STACK_ASSIGN(lhs, expr)                                    \
  do {                                                             \
    auto r_ = (expr);                                              \
    if (!r_) return ::stack::unexpected(std::move(r_).error());    \
    lhs = std::move(*r_);                                          \
  } while (0)

namespace stack::model {

// A scalar as text (numbers and booleans as written). Null is an error.
Result<std::string> read_string(const Node& n, const std::string& path);
// true/false in YAML 1.2 spellings (true, True, TRUE; false, False, FALSE).
Result<bool> read_bool(const Node& n, const std::string& path);
Result<int64_t> read_int(const Node& n, const std::string& path, int64_t min, int64_t max);
Result<int64_t> read_size(const Node& n, const std::string& path);         // bytes
Result<int64_t> read_duration(const Node& n, const std::string& path);     // ns
Result<double> read_cpus(const Node& n, const std::string& path);
// A list of scalars.
Result<std::vector<std::string>> read_string_list(const Node& n, const std::string& path);
// A single string or a list of them.
Result<std::vector<std::string>> read_string_or_list(const Node& n, const std::string& path);
// A mapping of scalars (null values read as ""); list forms are made mappings by canonicalize().
Result<std::map<std::string, std::string>> read_string_map(const Node& n, const std::string& path);
// Fails unless n is a mapping.
Result<void> expect_map(const Node& n, const std::string& path);
// Fails naming the first key of a mapping that is neither in `allowed` nor an `x-`
// extension: "not supported" for a compose key listed in `unsupported`, else "unknown key".
Result<void> check_keys(const Node& n, const std::string& path,
                        std::initializer_list<std::string_view> allowed,
                        std::initializer_list<std::string_view> unsupported = {});
// The message for a compose field that stack does not implement.
Unexpected<Error> not_supported(const Node& key, const std::string& path);

}  // namespace stack::model
