#pragma once
// The output of one healthcheck probe: the read end of the pipe that is the probe's
// stdout and stderr, read on the loop (a uv_poll_t) so that a chatty probe never
// blocks on a full pipe. Docker's rule (daemon/health.go, maxOutputLen): the first
// 4096 bytes are kept, the rest is read and dropped, and a cut output ends in "...".
//
// The probe's exit, not EOF, ends a probe: a background process it left may hold the
// pipe open for ever. drain() takes what is buffered at that moment.
#include <string>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::supervisor {

inline constexpr std::size_t kProbeOutputMax = 4096;

class ProbeOutput final : public UvHandle<uv_poll_t> {
 public:
  // Takes the pipe's read end (made non-blocking here) and starts reading.
  static Result<UvOwned<ProbeOutput>> create(uv_loop_t* loop, UniqueFd read_end);
  // Reads what the pipe holds now, without waiting, and stops watching it.
  void drain();
  // The kept text, with "..." if more was written.
  std::string text() const { return truncated_ ? kept_ + "..." : kept_; }

 private:
  ProbeOutput() = default;
  ~ProbeOutput() override = default;  // after the close callback: closes fd_
  void on_close() noexcept override { uv_poll_stop(raw()); }
  static void on_poll(uv_poll_t* h, int status, int events);
  // Reads until EAGAIN or EOF; false once EOF or an error was met.
  bool read_available();

  UniqueFd fd_;
  std::string kept_;
  bool truncated_ = false;
  bool done_ = false;
};

}  // namespace stack::supervisor
