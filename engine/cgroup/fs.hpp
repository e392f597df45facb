#pragma once
// Small helpers for cgroupfs: control files are written with one write(2) each (never
// through a temp file and rename: cgroupfs has no such thing), values are read whole.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::cgroup::fs {

bool exists(const std::string& path);
// One write(2) of value; the error names the value, the file and the errno text.
Result<void> write_value(const std::string& path, std::string_view value);
// The file's content with trailing whitespace removed.
Result<std::string> read_value(const std::string& path);
Result<uint64_t> read_u64(const std::string& path);
// The value of `key` in a flat keyed file ("key value" lines: memory.events, cpu.stat,
// memory.oom_control). Unset if the key is absent.
Result<std::optional<uint64_t>> read_keyed(const std::string& path, std::string_view key);
std::optional<uint64_t> parse_keyed(std::string_view text, std::string_view key);
// pids listed in dir/cgroup.procs.
Result<std::vector<pid_t>> read_procs(const std::string& dir);
std::vector<pid_t> parse_procs(std::string_view text);

// Directories under dir, children before parents, dir itself last. Missing dir: empty.
Result<std::vector<std::string>> subtree_post_order(const std::string& dir);

// mkdir of each component of rel below base that does not exist yet; on_new(dir) is
// called for each new directory right after it was made (to copy cpuset values or enable
// controllers before the next level). true if the last component was made now.
Result<bool> make_below(const std::string& base, const std::string& rel,
                        const std::function<Result<void>(const std::string& parent,
                                                         const std::string& dir)>& before_mkdir,
                        const std::function<Result<void>(const std::string& dir)>& on_new);

// rmdir of dir and everything below it, leaf first; EBUSY (a process still leaving)
// is retried for up to about a second. true if dir existed.
Result<bool> remove_tree(const std::string& dir);
// rmdir base/rel, then its parents up to base, until one is not empty (EBUSY, ENOTEMPTY)
// or already gone. Never retries and never touches base itself.
Result<void> prune_empty(const std::string& base, const std::string& rel);

}  // namespace stack::cgroup::fs
