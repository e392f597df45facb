#pragma once
// Undo of what a container made, from its teardown journal (style rule 7): complete and
// idempotent, also after a crash of the process that made it.
//
// Record kinds and their data:
//   "mount"   {"target": path}            umount2(MNT_DETACH); not mounted / gone = done
//   "dir"     {"path": path}              removed with its content, never crossing a mount
//   "file"    {"path": path}              unlink; gone = done
//   "process" {"pid": n, "start": ticks}  SIGKILL if the same process still runs, then
//                                         waits (up to 10 s) until it is gone
//   "userns"  {"dir": path, "owner": name} the owner's host id range released from the
//                                         ledger in dir (userns_pool.hpp); none = done
#include <map>
#include <string>

#include "engine/base/result.hpp"
#include "engine/state/journal.hpp"

namespace stack::engine::runtime {

std::map<std::string, state::Undo> undo_handlers();

// Replays <dir>/journal, then removes the journal and dir. true if anything was there;
// false (no-op) if dir does not exist. On failure the journal stays for a later retry.
Result<bool> remove_container_dir(const std::string& dir);

// A container dir that an earlier boot of the kernel left: its journal (or, without one,
// the dir) last changed before this boot began (/proc/stat btime), its rootfs no mount
// point. That is what a reboot with a stack up leaves behind (the stack's journal, which
// would have removed it, was on the run root's tmpfs), and the stack's next up found it
// in the way ("already exists"). Removed as teardown removes one (its own journal
// replayed); true if it was. Any other dir, or none, is left as it is (false).
Result<bool> remove_container_from_earlier_boot(const std::string& dir);

// Removes path and everything below it without following symlinks or crossing into
// another mount (st_dev check); true if something was removed.
Result<bool> remove_tree(const std::string& path);

// Field 22 of /proc/<pid>/stat (start time in clock ticks): with the pid it names one
// process, so a reused pid is never killed. 0 if the process does not exist.
uint64_t process_start_time(int pid);

}  // namespace stack::engine::runtime
