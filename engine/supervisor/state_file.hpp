#pragma once
// <run-root>/stacks/<project>/state.json: the supervisor's view of its containers, for
// readers that cannot ask it (`ps` and `ls` after the supervisor died).
//
//   {"version":1, "project":"web", "config_files":["/src/stack.yaml"],
//    "supervisor_pid":4242, "updated":"2026-...Z",
//    "containers":[{"Name":"web-db-1","Service":"db","State":"running","Pid":4300,
//                   "ExitCode":0,"RestartCount":0,"OOMKilled":false,"Health":"",
//                   "StartedAt":"...","FinishedAt":"...", ...}]}
//
// The keys of a container are those of `ps --format json`. The file is replaced
// atomically (temp file, rename: design invariant 6), so a reader sees one whole
// document; anything else (a truncated or hand-edited file) is reported as corrupt.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <uv.h>

#include "engine/base/result.hpp"

namespace stack::supervisor {

inline constexpr int kStateVersion = 1;

// Checks the document's shape (version, project, containers with Name/Service/State).
Result<nlohmann::json> parse_state(std::string_view text);
// read_file + parse_state; a parse error says "state file '<path>' is corrupt: ...".
Result<nlohmann::json> read_state(const std::string& path);

// Writes documents on libuv's thread pool, so the loop never waits for the disk. Only the
// newest document matters: while a write is in flight, update() just replaces the
// pending one, which is written when the first finishes.
class StateWriter {
 public:
  StateWriter(uv_loop_t* loop, std::string path);
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  void update(std::string document);
  // The same with the document made by make(), on the loop: at once when no write is in
  // flight, else when that write has ended (a newer make replaces an older one). A burst
  // of changes then builds the document once per write, not once per change: an up of
  // 30 built it ~20 times on the loop, 4-8 ms in all.
  void update_lazily(std::function<std::string()> make);
  // No more writes; the file is removed once the write in flight (if any) ended.
  void close_and_remove();
  // No write in flight: the loop may be closed (uv_loop_close needs no pending work).
  bool idle() const;
  // The last write's error, empty if it succeeded.
  std::string last_error() const;

 private:
  struct Shared;
  static void start(const std::shared_ptr<Shared>& s);
  std::shared_ptr<Shared> shared_;
};

}  // namespace stack::supervisor
