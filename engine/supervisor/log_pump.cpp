#include "engine/supervisor/log_pump.hpp"

#include <algorithm>
#include <array>

namespace stack::supervisor {

Result<UvOwned<LogFlusher>> LogFlusher::create(uv_loop_t* loop, OnError on_error) {
  UvOwned<LogFlusher> f(new LogFlusher(std::move(on_error)));
  STACK_TRY(f->init_result(uv_check_init(loop, f->raw()), "failed to create the log flush check"));
  int rc = uv_check_start(f->raw(), &LogFlusher::on_check);
  if (rc < 0) return fail_uv(rc, "failed to start the log flush check");
  uv_unref(f->uv_base());
  return f;
}

void LogFlusher::watch(std::shared_ptr<LogFile> file) { files_.push_back(std::move(file)); }

void LogFlusher::unwatch(const LogFile* file) {
  std::erase_if(files_, [&](const auto& f) { return f.get() == file; });
}

Result<void> LogFlusher::flush_all() {
  Result<void> first;
  for (auto& f : files_) {
    if (f->buffered() == 0) continue;
    auto r = f->flush();
    if (!r && first) first = std::move(r);
  }
  return first;
}

void LogFlusher::on_check(uv_check_t* h) {
  auto* self = owner<LogFlusher>(h);
  for (auto& f : self->files_) {
    if (f->buffered() == 0) continue;
    auto r = f->flush();
    if (!r && self->on_error_) self->on_error_(r.error());
  }
}

Result<UvOwned<LogPump>> LogPump::create(uv_loop_t* loop, UniqueFd read_end, std::shared_ptr<LogFile> file,
                                         std::string stream, Callbacks cb) {
  UvOwned<LogPump> p(new LogPump(std::move(file), std::move(stream), std::move(cb)));
  STACK_TRY(p->init_result(uv_pipe_init(loop, p->raw(), 0), "failed to create a log pipe handle"));
  // uv_pipe_open(3) takes the fd: from here on uv_close closes it.
  int rc = uv_pipe_open(p->raw(), read_end.get());
  if (rc < 0) return fail_uv(rc, "failed to watch the " + p->stream_ + " pipe");
  (void)read_end.release();
  rc = uv_read_start(reinterpret_cast<uv_stream_t*>(p->raw()), &LogPump::on_alloc, &LogPump::on_read);
  if (rc < 0) return fail_uv(rc, "failed to read the " + p->stream_ + " pipe");
  return p;
}

// One read buffer for every pump on the thread: libuv calls alloc, read(2) and on_read
// back to back for one stream, and on_read copies what it keeps (the splitter's partial
// line, the entries) before the next stream is read, so no two reads share it at once.
// A buffer per pump was 64 KiB per stream, most of a service's cost to the supervisor's RSS.
void LogPump::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  thread_local std::array<char, 64 * 1024> shared;
  *buf = uv_buf_init(shared.data(), static_cast<unsigned>(shared.size()));
}

void LogPump::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = owner<LogPump>(reinterpret_cast<uv_pipe_t*>(s));
  if (self->closing()) return;
  if (n > 0) {
    self->entries_.clear();
    self->splitter_.feed({buf->base, static_cast<size_t>(n)}, self->entries_);
    self->write_entries(self->entries_);
    return;
  }
  if (n == 0) return;  // EAGAIN: nothing this time
  if (n != UV_EOF && self->cb_.on_error) self->cb_.on_error(fail_uv(static_cast<int>(n), "failed to read the " + self->stream_ + " pipe").error);
  self->finish();
}

void LogPump::write_entries(std::vector<LogEntry>& entries) {
  if (entries.empty()) return;
  int64_t t = now_ns();
  for (const auto& e : entries) {
    auto r = file_->append(e, stream_, t);
    ++lines_;
    if (!r && cb_.on_error) cb_.on_error(r.error());
  }
}

void LogPump::finish() {
  uv_read_stop(reinterpret_cast<uv_stream_t*>(raw()));
  entries_.clear();
  splitter_.finish(entries_);
  write_entries(entries_);
  auto r = file_->flush();
  if (!r && cb_.on_error) cb_.on_error(r.error());
  if (cb_.on_eof) cb_.on_eof();
}

}  // namespace stack::supervisor
