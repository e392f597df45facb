#pragma once
// The teardown journal (design.md invariant 1, style.md rule 7).
//
// Every kernel object a stack makes (mount, link, netns, cgroup, process, directory)
// is recorded here *before* the host-visible side effect. Teardown replays the
// pending records in reverse; "already gone" is success; a record is forgotten only
// after its undo succeeded. It works with the maker dead: the journal is a file.
//
// On disk: JSON lines, appended under flock. {"op":"add","id":N,"kind":K,"data":{...}}
// and {"op":"done","id":N}. A torn last line (crash mid-append) is ignored; a corrupt
// line elsewhere is reported with its line number.
//
// Appends are not fsync'd. The journal must survive the death of its writer (kill -9 of
// the supervisor), and a write(2) that returned is in the page cache, where the next
// reader sees it, crash of the writer or not. It need not survive a power loss: the
// objects it records (mounts, links, netns, cgroups, processes) do not survive a reboot
// either (a stack's journal lives in the run root, a tmpfs, for that reason). An
// fdatasync per record is a disk flush each, and a container makes about a dozen
// records (docs/performance.md).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::state {

struct Record {
  uint64_t id = 0;
  std::string kind;     // "mount", "dir", "cgroup", "link", "netns", "process", ...
  nlohmann::json data;  // what the undo needs: paths, names, pids
};

class Journal {
 public:
  // Opens (creating it and its directory if needed) the journal at path.
  static Result<Journal> open(const std::string& path);

  // Appends an intent before the side effect; returns its id.
  Result<uint64_t> add(const std::string& kind, nlohmann::json data);
  // Marks a record undone (or the object handed over); call after the undo succeeded.
  Result<void> done(uint64_t id);
  // Records not yet done, in the order they were added.
  Result<std::vector<Record>> pending() const;
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, UniqueFd fd, uint64_t next) : path_(std::move(path)), fd_(std::move(fd)), next_id_(next) {}
  std::string path_;
  UniqueFd fd_;
  uint64_t next_id_ = 1;
};

// Undoes one record. Must treat "already gone" (ENOENT, ESRCH, EINVAL for an unmounted
// target, ...) as success, so that replay is idempotent.
using Undo = std::function<Result<void>(const Record&)>;

// Replays pending records newest first through the handler for their kind; each record
// whose undo succeeds is marked done. Continues past failures and returns the first
// error (with the record's kind and id) if any remain. A kind with no handler is an error.
Result<void> replay(Journal& journal, const std::map<std::string, Undo>& undo);

}  // namespace stack::state
