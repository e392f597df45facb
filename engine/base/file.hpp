#pragma once
// Small file helpers shared by every part: whole-file reads and atomic writes
// (design invariant 6: temp file in the same directory, fsync, rename).
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack {

Result<std::string> read_file(const std::string& path);
// Writes content to path atomically: readers see the old file or the new one, never half.
Result<void> write_file_atomic(const std::string& path, std::string_view content, int mode = 0644);
// mkdir -p; true if something was created.
Result<bool> make_dirs(const std::string& path, int mode = 0755);

}  // namespace stack
