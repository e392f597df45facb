#pragma once
// Moves a container's stdout or stderr into its log file on the loop.
//
// LogPump owns the read end of one stdio pipe (a uv_pipe_t): every read is cut into
// lines (LineSplitter) and appended to the container's LogFile with the time it was
// read. A read of kBusyRead bytes or more pauses the pump for 2 ms: a writer at full
// speed wrote a few KiB per wake-up (36,000 wake-ups for 200 MB), and each cost the
// loop a context switch; after the pause one read takes up to kReadBuffer. A quiet
// stream (a line now and then) is read at once. LogFlusher (a uv_check_t, run once per loop iteration after I/O, uv_run(3))
// writes a file's buffer once it holds 64 KiB, and a smaller one after a 1 ms hold (a
// timer), so a burst costs one write() per 64 KiB or more rather than one per read (a
// fast reader gets a few KiB a read; each write to the file costs its inode update),
// and a quiet stream is on disk within a millisecond.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"
#include "engine/supervisor/log_file.hpp"
#include "network/uv_timer.hpp"

namespace stack::supervisor {

class LogFlusher final : public UvHandle<uv_check_t> {
 public:
  using OnError = std::function<void(const Error&)>;
  // The check handle and the hold timer are unref'd: they never keep the loop alive by
  // themselves. Closing flushes what is held.
  static Result<UvOwned<LogFlusher>> create(uv_loop_t* loop, OnError on_error);
  void watch(std::shared_ptr<LogFile> file);
  void unwatch(const LogFile* file);
  // Flushes every watched file now; returns the first error.
  Result<void> flush_all();

 private:
  explicit LogFlusher(OnError e) : on_error_(std::move(e)) {}
  static void on_check(uv_check_t* h);
  void on_close() noexcept override;
  // Writes the files holding at least `min` bytes; true if a smaller buffer was left.
  bool flush_from(std::size_t min);
  OnError on_error_;
  std::vector<std::shared_ptr<LogFile>> files_;
  UvOwned<net::UvTimer> hold_;
  bool held_ = false;  // the hold timer is running
};

class LogPump final : public UvHandle<uv_pipe_t> {
 public:
  struct Callbacks {
    std::function<void(const Error&)> on_error;  // a failed write or read; the pump goes on
    std::function<void()> on_eof;                // the writer closed its end; all is flushed
  };
  // Takes the pipe's read end and starts reading at once.
  static Result<UvOwned<LogPump>> create(uv_loop_t* loop, UniqueFd read_end, std::shared_ptr<LogFile> file,
                                         std::string stream, Callbacks cb);
  uint64_t lines() const { return lines_; }

 private:
  LogPump(std::shared_ptr<LogFile> f, std::string s, Callbacks cb)
      : file_(std::move(f)), stream_(std::move(s)), cb_(std::move(cb)) {}
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  void on_close() noexcept override;
  // A busy writer: stops reading for kCoalesceMs so that the next read takes what the
  // writer wrote meanwhile (the pipe holds it), rather than waking per write.
  void pause();
  void resume();
  // Appends the entries these bytes complete (finish: and the last partial line).
  void write(std::string_view bytes, bool finish);
  void grow_pipe();
  void finish();

  std::shared_ptr<LogFile> file_;
  std::string stream_;
  Callbacks cb_;
  LineSplitter splitter_;
  RecordEnd end_;  // of the lines of the read being written
  uint64_t lines_ = 0;
  bool grown_ = false;
  UvOwned<net::UvTimer> pause_;  // made at the first pause
};

}  // namespace stack::supervisor
