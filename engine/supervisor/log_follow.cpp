#include "engine/supervisor/log_follow.hpp"

#include <algorithm>

#include "engine/supervisor/log_format.hpp"

namespace stack::supervisor {

Result<UvOwned<LogFollower>> LogFollower::create(uv_loop_t* loop, LogQuery query, Callbacks cb,
                                                 uint64_t interval_ms) {
  UvOwned<LogFollower> f(new LogFollower(std::move(query), std::move(cb)));
  STACK_TRY(f->init_result(uv_timer_init(loop, f->raw()), "failed to create the log follow timer"));
  std::vector<LogLine> lines;
  f->discover(true, lines);
  std::stable_sort(lines.begin(), lines.end(), [](const LogLine& a, const LogLine& b) { return a.time_ns < b.time_ns; });
  if (f->cb_.on_lines) f->cb_.on_lines(f->sources_, lines);
  int rc = uv_timer_start(f->raw(), &LogFollower::on_timer, interval_ms, interval_ms);
  if (rc < 0) return fail_uv(rc, "failed to start the log follow timer");
  return f;
}

void LogFollower::on_timer(uv_timer_t* t) { owner<LogFollower>(t)->poll(); }

void LogFollower::discover(bool initial, std::vector<LogLine>& out) {
  if (!cb_.discover) return;
  auto found = cb_.discover();
  if (!found) {
    if (cb_.on_error) cb_.on_error(found.error());
    return;
  }
  LogQuery q = query_;
  if (!initial) q.tail.reset();  // a container that appears later is shown from its start
  for (auto& s : *found) {
    bool known = std::any_of(sources_.begin(), sources_.end(),
                             [&](const LogSource& k) { return k.container == s.container; });
    if (known) continue;
    auto cursor = std::make_unique<LogCursor>(s.path);
    std::vector<std::string> raw;
    auto r = cursor->read_all(raw);
    if (!r && cb_.on_error) cb_.on_error(r.error().wrap("reading the logs of " + s.container));
    select_lines(raw, sources_.size(), q, out);
    sources_.push_back(std::move(s));
    cursors_.push_back(std::move(cursor));
  }
}

void LogFollower::poll() {
  if (closing()) return;
  if (query_.until_ns && now_ns() > *query_.until_ns) {
    uv_timer_stop(raw());
    if (cb_.on_done) cb_.on_done();
    return;
  }
  std::vector<LogLine> lines;
  LogQuery q = query_;
  q.tail.reset();
  for (std::size_t i = 0; i < cursors_.size(); ++i) {
    std::vector<std::string> raw;
    auto r = cursors_[i]->read_new(raw);
    if (!r && cb_.on_error) cb_.on_error(r.error().wrap("following the logs of " + sources_[i].container));
    select_lines(raw, i, q, lines);
  }
  discover(false, lines);
  if (lines.empty()) return;
  std::stable_sort(lines.begin(), lines.end(), [](const LogLine& a, const LogLine& b) { return a.time_ns < b.time_ns; });
  if (cb_.on_lines) cb_.on_lines(sources_, lines);
}

}  // namespace stack::supervisor
