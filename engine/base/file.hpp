#pragma once
// Small file helpers shared by every part: whole-file reads and atomic writes
// (design invariant 6: temp file in the same directory, fsync, rename).
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack {

Result<std::string> read_file(const std::string& path);

// What an atomic write must survive. kDisk: a power loss (fsync before the rename), for
// files that outlive a reboot and matter then (image metadata, the IPAM ledger).
// kProcessCrash: only a crash of the writer (rename alone: the page cache already shows
// the whole new file to every other process), for files that describe kernel objects or
// are regenerated (a container's /etc files, state.json): an fsync there costs
// milliseconds per container and protects nothing that survives the reboot.
enum class Durability { kDisk, kProcessCrash };

// Writes content to path atomically: readers see the old file or the new one, never half.
Result<void> write_file_atomic(const std::string& path, std::string_view content, int mode = 0644,
                               Durability durability = Durability::kDisk);
// mkdir -p; true if something was created.
Result<bool> make_dirs(const std::string& path, int mode = 0755);
// Marks dir as the top of directory hierarchies for ext2/3/4's Orlov allocator
// (FS_TOPDIR_FL, `chattr +T`): each directory made in it then goes to a block group of
// its own, with its files, instead of the parent's group. For the dirs that hold one
// tree per container: on ext4 without a journal every new inode skips the group's free
// inodes deleted in the last minute one by one (ext4 ialloc.c, recently_deleted()), so
// containers made and removed in one group cost more each round. Best effort: other
// filesystems have no such flag and nothing changes.
void spread_subdirs(const std::string& dir);

}  // namespace stack
