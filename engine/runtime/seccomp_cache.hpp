#pragma once
// A disk cache of compiled seccomp programs, so that a one-off `stack run` (a new process
// each time) does not pay libseccomp's ~13 ms for Docker's profile on every start.
//
// A file holds one program and the full key it was compiled for: the profile and caps
// (which also name the file) and everything else the output depends on: libseccomp's
// version and API level, the architecture, the kernel, and this binary. A file is used only
// if it is a regular file owned by the effective uid, not writable by group or others, its
// checksum holds, and its key equals the wanted one byte for byte; anything else is a miss,
// and the program is compiled and the file written again. The cache protects nothing: it
// only holds what any root process could compile, and only root (the owner) may write it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/base/result.hpp"
#include "engine/runtime/seccomp.hpp"

namespace stack::engine::runtime::seccomp_cache {

// The profile and caps as canonical text.
std::string profile_key(const SeccompProfile& profile, uint64_t caps);
// What else the compiled program depends on, measured in this process.
std::string environment_key();

// <hex fnv-1a 64 of environment and profile_key>.bpf: each binary (stack, stack-supervisor)
// and kernel has its own files, so that they do not overwrite each other's.
std::string file_name(std::string_view profile_key, std::string_view environment);
// How many files store() keeps (the most recently written): rebuilt binaries and kernel
// updates make new keys, and their old files are never read again.
constexpr size_t kKeptFiles = 16;

// The file's bytes: magic, key, program, and a checksum of all before it.
std::string encode(std::string_view key, const SeccompProgram& program);
// nullopt: not a cache file, a torn or altered one, or one made for another key.
std::optional<SeccompProgram> decode(std::string_view data, std::string_view key);

// Reads dir/file_name(profile_key) if it is safe to trust (see above) and made for
// environment + profile_key. Never fails: a miss is nullopt.
std::optional<SeccompProgram> load(const std::string& dir, std::string_view profile_key, std::string_view environment);
// Writes it (dir 0700, file 0600, atomically), then removes the oldest files beyond kKeptFiles.
Result<void> store(const std::string& dir, std::string_view profile_key, std::string_view environment,
                   const SeccompProgram& program);

}  // namespace stack::engine::runtime::seccomp_cache
