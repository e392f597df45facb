#pragma once
// Layers: one tar stream unpacked once into <images>/layers/<diff_id hex>/.
//
// Unpacking is the dangerous part of an image store: a hostile tar can try to write
// outside the layer dir with absolute names, "..", a symlink in a parent, or a hard
// link to a host file. Entries are written by libarchive with ARCHIVE_EXTRACT_SECURE_*
// under a canonical (realpath) root, after our own checks (entry_path.hpp; hard-link
// targets opened with openat2(2) RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). A layer is
// unpacked into <images>/tmp/, synced (syncfs(2)) and renamed into place, so a crash
// never leaves a half layer under its final name; when two imports race for one layer
// the first rename wins and the loser drops its copy.
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "engine/image/tree.hpp"

namespace stack::image {

// "sha256:<hex>" of the uncompressed stream of a tar file (plain, gzip, zstd, xz, ...):
// the OCI diff_id.
Result<std::string> tar_diff_id(const std::string& tar_path);

// Unpacks the tar at tar_path into the existing, empty directory dest (whiteouts turned
// into overlayfs form) and returns its diff_id, hashed in the same read. dest must have
// no symlink in its path.
Result<std::string> unpack_layer(const std::string& tar_path, const std::string& dest);

// Makes sure layer <images_dir>/layers/<hex of diff_id> holds the tar's content and
// returns the diff_id. expected_diff_id, when not empty, must match the tar's content.
Result<std::string> ensure_layer(const std::string& images_dir, const std::string& tar_path,
                                 std::string_view expected_diff_id);

// Writes the tree at dir (not following symlinks, hard links kept, numeric owners,
// xattrs) as a pax tar at tar_path.
Result<void> tar_directory(const std::string& dir, const std::string& tar_path);

}  // namespace stack::image
