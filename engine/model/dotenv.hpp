#pragma once
// .env files and env_file entries, parsed as compose-go's dotenv does: KEY=VALUE lines,
// an optional `export ` prefix, # comments, single quotes (literal), double quotes
// (escapes \n \t \\ \" and interpolation), unquoted values (trailing " #comment" cut,
// interpolation), bare KEY (value taken from lookup, or unset when lookup has none).
// Earlier keys of the same file are visible to later ones' interpolation.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/model/interpolate.hpp"

namespace stack::model {

struct EnvEntry {
  std::string key;
  std::optional<std::string> value;  // nullopt: bare KEY with no value in lookup
  int line = 0;                       // 1-based line in the file
};

// Errors read "line N: <reason>"; the caller prefixes the file name.
Result<std::vector<EnvEntry>> parse_dotenv(std::string_view text, const Lookup& lookup);

}  // namespace stack::model
