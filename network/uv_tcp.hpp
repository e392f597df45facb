#pragma once
// A libuv TCP socket (listener or stream) owned per style.md rule 9.
#include <sys/socket.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "engine/base/unique_fd.hpp"
#include "engine/base/uv_handle.hpp"

namespace stack::net {

// A buffer read from one socket whose ownership moves to a write on another, so a
// proxy forwards bytes without copying them in user space.
struct Chunk {
  std::unique_ptr<char[]> data;
  std::size_t size = 0;
};

class UvTcp final : public UvHandle<uv_tcp_t> {
 public:
  // nread > 0: data; nread == UV_EOF: the peer shut down its side; other < 0: an error.
  using ReadCb = std::function<void(ssize_t nread, Chunk chunk)>;
  using StatusCb = std::function<void(int status)>;

  static Result<UvOwned<UvTcp>> create(uv_loop_t* loop);

  // Adopts a bound socket (e.g. from reserve_ports) and listens on it.
  Result<void> open(UniqueFd fd);
  Result<void> bind(const sockaddr* addr);
  Result<void> listen(int backlog, StatusCb on_connection);
  // Accepts one pending connection into a fresh stream on the same loop.
  Result<UvOwned<UvTcp>> accept();
  Result<void> connect(const sockaddr* addr, StatusCb cb);

  Result<void> read_start(ReadCb cb);
  void read_stop() noexcept;
  // Starts reading again with the callback given to read_start (after read_stop).
  Result<void> read_resume();
  // on_done (optional) runs when this write has left the queue; not after close().
  Result<void> write(Chunk chunk, StatusCb on_done = {});
  Result<void> write(const std::string& bytes, StatusCb on_done = {});
  // Sends FIN once queued writes are flushed (uv_shutdown(3)).
  Result<void> shutdown(StatusCb cb);
  std::size_t write_queue_size() const noexcept { return raw()->write_queue_size; }
  Result<sockaddr_storage> local_address() const;
  // Closes with RST instead of FIN (SO_LINGER 0), so a peer learns of a failure at once.
  void reset_and_close() noexcept;

  // Large reads move whole into the write on the other side (no copy); small ones are
  // copied into an exact-size chunk and the read buffer is kept for the next read, so
  // a chatty connection does not pin 256 KiB per message.
  static constexpr std::size_t kReadSize = 256 * 1024;
  static constexpr std::size_t kCopyBelow = 16 * 1024;

 private:
  UvTcp() = default;
  ~UvTcp() override = default;
  void on_close() noexcept override { read_stop(); }
  uv_stream_t* stream() noexcept { return reinterpret_cast<uv_stream_t*>(raw()); }

  ReadCb read_cb_;
  std::unique_ptr<char[]> spare_;  // a read buffer to reuse
  StatusCb connection_cb_;
  StatusCb connect_cb_;
  StatusCb shutdown_cb_;
  uv_connect_t connect_req_{};
  uv_shutdown_t shutdown_req_{};
};

}  // namespace stack::net
