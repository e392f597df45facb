#include "engine/supervisor/oom_monitor.hpp"

namespace stack::supervisor {

namespace {
// Re-checks after a wake without a new kill: 5, 10, ... 320 ms (the killer runs right
// after the notification; under memory pressure it may take a while to be scheduled).
constexpr uint64_t kFirstRecheckMs = 5;
constexpr uint64_t kLastRecheckMs = 320;
}  // namespace

Result<std::unique_ptr<OomMonitor>> OomMonitor::create(uv_loop_t* loop, const OomSource& src,
                                                       std::function<void(uint64_t)> on_kills) {
  std::unique_ptr<OomMonitor> m(new OomMonitor(src.kills, std::move(on_kills)));
  auto t = net::UvTimer::create(loop);
  if (!t) return unexpected(t.error());
  m->recheck_ = std::move(*t);
  auto watch = src.open();
  if (!watch) return unexpected(watch.error());
  auto* self = m.get();
  auto p = OomPoll::create(loop, std::move(*watch), [self] { self->woken(); });
  if (!p) return unexpected(p.error());
  m->poll_ = std::move(*p);
  return m;
}

OomMonitor::~OomMonitor() {
  poll_.reset();
  recheck_.reset();
}

bool OomMonitor::check() {
  auto n = kills_();
  if (!n || *n <= reported_) return false;
  uint64_t fresh = *n - reported_;
  reported_ = *n;
  if (on_kills_) on_kills_(fresh);
  return true;
}

void OomMonitor::woken() {
  if (check()) {
    recheck_ms_ = 0;
    recheck_->stop();
    return;
  }
  recheck_ms_ = recheck_ms_ ? recheck_ms_ * 2 : kFirstRecheckMs;
  if (recheck_ms_ > kLastRecheckMs) {
    recheck_ms_ = 0;
    return;
  }
  if (!recheck_->start(recheck_ms_, 0, [this] { woken(); })) recheck_ms_ = 0;
}

}  // namespace stack::supervisor
