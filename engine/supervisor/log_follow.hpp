#pragma once
// `logs -f`: follows every container's log on the loop by polling with a uv timer.
// Polling (rather than inotify) costs one stat per container per tick and sees
// everything inotify would: appends, rotation (LogCursor), truncation, and new
// containers (the discover callback lists them, e.g. list_log_sources).
#include <functional>
#include <memory>
#include <vector>

#include "engine/base/uv_handle.hpp"
#include "engine/supervisor/log_reader.hpp"

namespace stack::supervisor {

class LogFollower final : public UvHandle<uv_timer_t> {
 public:
  struct Callbacks {
    std::function<Result<std::vector<LogSource>>()> discover;  // the containers to follow now
    // New lines, ordered by time within one tick; `sources` is indexed by LogLine::source.
    std::function<void(const std::vector<LogSource>& sources, const std::vector<LogLine>& lines)> on_lines;
    std::function<void(const Error&)> on_error;  // a read failed; following goes on
    std::function<void()> on_done;               // --until is in the past: following stopped
  };
  // Reads what exists now (the query's tail applies to these), reports it, then polls
  // every interval_ms. Containers found later are read from their start (since/until
  // still apply).
  static Result<UvOwned<LogFollower>> create(uv_loop_t* loop, LogQuery query, Callbacks cb,
                                             uint64_t interval_ms = 200);
  const std::vector<LogSource>& sources() const { return sources_; }
  // One poll now (also what the timer runs).
  void poll();

 private:
  LogFollower(LogQuery q, Callbacks cb) : query_(std::move(q)), cb_(std::move(cb)) {}
  static void on_timer(uv_timer_t* t);
  void discover(bool initial, std::vector<LogLine>& out);

  LogQuery query_;
  Callbacks cb_;
  std::vector<LogSource> sources_;
  std::vector<std::unique_ptr<LogCursor>> cursors_;
};

}  // namespace stack::supervisor
