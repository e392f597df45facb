#pragma once
// The processes below a process, from /proc (what a probe that timed out leaves:
// its shell's children). A probe runs in the container's process group, not one of
// its own, so kill(-pgid) cannot reach them; they are found by their parent links
// and killed before the probe itself, while they are still its descendants.
#include <sys/types.h>

#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace stack::supervisor {

// The parent pid in the text of /proc/<pid>/stat ("pid (comm) state ppid ..."; comm
// may hold spaces and parentheses, so the last ')' ends it). nullopt if malformed.
std::optional<pid_t> parse_stat_ppid(std::string_view stat);

// Every descendant of root in a pid -> parent map, children before grandchildren.
std::vector<pid_t> descendants_of(pid_t root, const std::multimap<pid_t, pid_t>& children);

// SIGKILLs every descendant of pid found in /proc, then pid through its pidfd. Best
// effort: a process that forks meanwhile may leave a child behind.
void kill_tree(pid_t pid, int pidfd);

}  // namespace stack::supervisor
