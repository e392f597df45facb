#pragma once
// Directory trees of the image store: sizes and removal (no libarchive here: the stack
// binary links this part, the importer the other, engine/image/import).
#include <cstdint>
#include <string>

#include "engine/base/result.hpp"

namespace stack::image {

// Bytes of regular files under dir, each inode counted once; symlinks not followed.
Result<int64_t> tree_size(const std::string& dir);

// rm -rf that never follows symlinks; a missing path is success.
Result<void> remove_tree(const std::string& path);

}  // namespace stack::image
