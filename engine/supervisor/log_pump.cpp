#include "engine/supervisor/log_pump.hpp"

#include <fcntl.h>

#include <algorithm>
#include <memory>

namespace stack::supervisor {

namespace {
// A pipe holds 64 KiB unless told otherwise (pipe(7)). A read that took all of it found
// the writer faster than the loop, blocked on a full pipe: the pipe then grows to
// kBurstPipe so that the writer runs on while the loop encodes, and reads take up to
// kReadBuffer at once. A quiet stream keeps the small pipe (its slots cost the kernel
// memory for every container).
constexpr std::size_t kDefaultPipe = 64 * 1024;
constexpr int kBurstPipe = 1024 * 1024;
constexpr std::size_t kReadBuffer = 512 * 1024;
// LogFlusher: a buffer this full is written at once, a smaller one after the hold.
constexpr std::size_t kWriteNow = 64 * 1024;
constexpr uint64_t kHoldMs = 1;
// A read this large paused the pump for kCoalesceMs: at ~300 MB/s the writer fills
// ~600 KiB of the pipe meanwhile, and it blocks only when the pipe is full (64 KiB
// until it has grown, so a writer may wait up to the rest of the pause once). Each
// pause and read is a wake-up of the loop: 2 ms rather than 1 took the supervisor's
// CPU for 300 MB from 286-298 to 258-265 ms (vcsw 965-1198 -> 619-791), alternating.
constexpr std::size_t kBusyRead = 4096;
constexpr uint64_t kCoalesceMs = 2;
}  // namespace

Result<UvOwned<LogFlusher>> LogFlusher::create(uv_loop_t* loop, OnError on_error) {
  UvOwned<LogFlusher> f(new LogFlusher(std::move(on_error)));
  STACK_TRY(f->init_result(uv_check_init(loop, f->raw()), "failed to create the log flush check"));
  auto hold = net::UvTimer::create(loop);
  if (!hold) return unexpected(hold.error());
  f->hold_ = std::move(*hold);
  uv_unref(f->hold_->uv_base());
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

bool LogFlusher::flush_from(std::size_t min) {
  bool left = false;
  for (auto& f : files_) {
    if (f->buffered() == 0) continue;
    if (f->buffered() < min) {
      left = true;
      continue;
    }
    auto r = f->flush();
    if (!r && on_error_) on_error_(r.error());
  }
  return left;
}

void LogFlusher::on_check(uv_check_t* h) {
  auto* self = owner<LogFlusher>(h);
  if (!self->flush_from(kWriteNow) || self->held_) return;
  self->held_ = true;
  auto started = self->hold_->start(kHoldMs, 0, [self] {
    self->held_ = false;
    (void)self->flush_from(1);
  });
  if (!started) {  // no timer: write now rather than hold
    self->held_ = false;
    (void)self->flush_from(1);
  }
}

void LogFlusher::on_close() noexcept {
  hold_.reset();
  held_ = false;
  (void)flush_from(1);
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
// back to back for one stream, and on_read encodes what it keeps (the splitter keeps
// only a read's last partial line) before the next stream is read, so no two reads
// share it at once. A buffer per pump was 64 KiB per stream, most of a service's cost
// to the supervisor's RSS; a thread_local array would sit in every thread's static TLS
// block, which glibc zeroes when it makes a thread (64 KiB resident in each libuv pool
// thread), so it is allocated on first use.
void LogPump::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
  thread_local std::unique_ptr<char[]> shared;
  if (!shared) shared = std::make_unique_for_overwrite<char[]>(kReadBuffer);
  *buf = uv_buf_init(shared.get(), static_cast<unsigned>(kReadBuffer));
}

void LogPump::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = owner<LogPump>(reinterpret_cast<uv_pipe_t*>(s));
  if (self->closing()) return;
  if (n > 0) {
    if (!self->grown_ && static_cast<std::size_t>(n) >= kDefaultPipe) self->grow_pipe();
    self->write({buf->base, static_cast<std::size_t>(n)}, false);
    // A full buffer leaves more in the pipe: that is read on at once.
    if (static_cast<std::size_t>(n) >= kBusyRead && static_cast<std::size_t>(n) < kReadBuffer) self->pause();
    return;
  }
  if (n == 0) return;  // EAGAIN: nothing this time
  if (n != UV_EOF && self->cb_.on_error) self->cb_.on_error(fail_uv(static_cast<int>(n), "failed to read the " + self->stream_ + " pipe").error);
  self->finish();
}

void LogPump::write(std::string_view bytes, bool finish) {
  end_.set(stream_, now_ns());
  auto append = [&](std::string_view text, bool newline, bool plain) {
    auto r = plain && newline ? file_->append_plain_line(text, end_)
                              : file_->append(text, newline, stream_, end_.time_ns(), plain);
    ++lines_;
    if (!r && cb_.on_error) cb_.on_error(r.error());
  };
  splitter_.feed_each(bytes, append);
  if (finish) splitter_.finish_each(append);
}

void LogPump::pause() {
  if (!pause_) {
    auto t = net::UvTimer::create(raw()->loop);
    if (!t) return;  // no timer: read on without pausing
    pause_ = std::move(*t);
  }
  uv_read_stop(reinterpret_cast<uv_stream_t*>(raw()));
  // The timer keeps the loop alive while the stopped pipe does not.
  if (!pause_->start(kCoalesceMs, 0, [this] { resume(); })) resume();
}

void LogPump::resume() {
  if (closing()) return;
  int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(raw()), &LogPump::on_alloc, &LogPump::on_read);
  if (rc < 0) {
    if (cb_.on_error) cb_.on_error(fail_uv(rc, "failed to read the " + stream_ + " pipe").error);
    finish();
  }
}

void LogPump::on_close() noexcept { pause_.reset(); }

void LogPump::grow_pipe() {
  grown_ = true;
  uv_os_fd_t fd = -1;
  // Best effort: past /proc/sys/fs/pipe-max-size without CAP_SYS_RESOURCE it is EPERM,
  // and the small pipe still works.
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(raw()), &fd) == 0) (void)::fcntl(fd, F_SETPIPE_SZ, kBurstPipe);
}

void LogPump::finish() {
  uv_read_stop(reinterpret_cast<uv_stream_t*>(raw()));
  write({}, true);
  auto r = file_->flush();
  if (!r && cb_.on_error) cb_.on_error(r.error());
  if (cb_.on_eof) cb_.on_eof();
}

}  // namespace stack::supervisor
