#pragma once
// The supervisor's control server: a unix stream socket at
// <run-root>/stacks/<project>/control.sock on the loop (design.md "Process model").
//
// ControlServer owns the listening uv_pipe_t and its connections; each
// ControlConnection is an IPC-mode uv_pipe_t, so libuv receives SCM_RIGHTS fds with
// the bytes (uv_pipe_pending_count(3)). Only peers running as root or as our own uid
// are served (SO_PEERCRED, unix(7)), on top of the 0700 run directory.
//
// A request is handed to the handler with a Responder, which may answer at once or
// later (after a container started, say). Answering after the client went away is
// harmless: the responder sees that its connection is gone.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/uv_handle.hpp"
#include "engine/supervisor/control_protocol.hpp"

namespace stack::supervisor {

class ControlConnection;

class Responder {
 public:
  Responder(std::weak_ptr<ControlConnection*> conn, uint64_t id) : conn_(std::move(conn)), id_(id) {}
  // A streamed message before the end of the request.
  void event(const nlohmann::json& e) const;
  // Ends the request.
  void reply(const nlohmann::json& result) const;
  void fail(const Error& e) const;
  uint64_t id() const { return id_; }
  bool connected() const;

 private:
  void send(std::string line) const;
  std::weak_ptr<ControlConnection*> conn_;
  uint64_t id_;
};

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
};

using RequestHandler = std::function<void(Request&& request, const Peer& peer, Responder responder)>;

class ControlServer;

class ControlConnection final : public UvHandle<uv_pipe_t> {
 public:
  void send(std::string line);
  const Peer& peer() const { return peer_; }

 private:
  friend class ControlServer;
  explicit ControlConnection(ControlServer* server) : server_(server), self_(std::make_shared<ControlConnection*>(this)) {}
  void on_close() noexcept override;
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
  std::vector<UniqueFd> take_fds();
  void handle_line(std::string& line, std::vector<UniqueFd>& fds);

  ControlServer* server_;
  std::shared_ptr<ControlConnection*> self_;  // responders hold weak references
  Peer peer_;
  ControlFramer framer_;
  char buf_[64 * 1024];
};

class ControlServer final : public UvHandle<uv_pipe_t> {
 public:
  // Binds and listens at path. A socket file left by a dead supervisor is replaced;
  // one that still accepts connections is an error (EADDRINUSE).
  static Result<UvOwned<ControlServer>> create(uv_loop_t* loop, const std::string& path, RequestHandler handler);
  const std::string& path() const { return path_; }
  std::size_t connections() const { return conns_.size(); }
  // Every message sent has been handed to the kernel (libuv's write queues are empty):
  // a peer still reads it after this process is gone.
  bool flushed() const;

 private:
  friend class ControlConnection;
  ControlServer(std::string path, RequestHandler h) : path_(std::move(path)), handler_(std::move(h)) {}
  void on_close() noexcept override;
  static void on_connection(uv_stream_t* s, int status);
  void drop(ControlConnection* c);

  std::string path_;
  RequestHandler handler_;
  std::vector<UvOwned<ControlConnection>> conns_;
  bool bound_ = false;
};

}  // namespace stack::supervisor
