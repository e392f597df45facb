#include "engine/supervisor/control_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace stack::supervisor {
namespace {

struct WriteReq {
  uv_write_t req{};
  std::string data;
};

void on_written(uv_write_t* req, int) { delete static_cast<WriteReq*>(req->data); }

// True if something accepts connections at path (a live supervisor).
bool socket_alive(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

}  // namespace

bool Responder::connected() const { auto c = conn_.lock(); return c && *c; }
void Responder::send(std::string line) const {
  if (auto c = conn_.lock(); c && *c) (*c)->send(std::move(line));
}
void Responder::event(const nlohmann::json& e) const { send(encode_event(id_, e)); }
void Responder::reply(const nlohmann::json& result) const { send(encode_result(id_, result)); }
void Responder::fail(const Error& e) const { send(encode_error(id_, e)); }

void ControlConnection::send(std::string line) {
  if (closing()) return;
  auto* w = new WriteReq;
  w->data = std::move(line);
  w->req.data = w;
  uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(raw()), &b, 1, &on_written) < 0) {
    delete w;
    server_->drop(this);
  }
}

void ControlConnection::on_close() noexcept { *self_ = nullptr; }

bool ControlServer::flushed() const {
  for (const auto& c : conns_)
    if (uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(c->raw())) > 0) return false;
  return true;
}

void ControlConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* self = owner<ControlConnection>(reinterpret_cast<uv_pipe_t*>(h));
  *buf = uv_buf_init(self->buf_, sizeof self->buf_);
}

// libuv keeps the fds that came with the bytes; each is accepted into a throwaway pipe
// handle (uv_accept(3) is the only way out), duplicated O_CLOEXEC, and the handle
// closed. uv_accept only records the fd in the handle: no mode of the open file
// description (shared with the sender) is changed.
std::vector<UniqueFd> ControlConnection::take_fds() {
  std::vector<UniqueFd> fds;
  while (uv_pipe_pending_count(raw()) > 0) {
    auto* tmp = new uv_pipe_t;
    uv_pipe_init(loop(), tmp, 0);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(raw()), reinterpret_cast<uv_stream_t*>(tmp)) == 0) {
      uv_os_fd_t fd = -1;
      if (uv_fileno(reinterpret_cast<uv_handle_t*>(tmp), &fd) == 0)
        fds.emplace_back(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    }
    uv_close(reinterpret_cast<uv_handle_t*>(tmp), [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
  }
  return fds;
}

void ControlConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* self = owner<ControlConnection>(reinterpret_cast<uv_pipe_t*>(s));
  if (self->closing()) return;
  if (n < 0) {  // EOF or error: the client is gone
    self->server_->drop(self);
    return;
  }
  auto fds = self->take_fds();
  if (fds.size() > kMaxControlFds) {
    self->send(encode_error(std::nullopt, Error{EMFILE, "too many file descriptors in one control message"}));
    self->server_->drop(self);
    return;
  }
  std::vector<std::pair<std::string, std::vector<UniqueFd>>> lines;
  auto r = self->framer_.feed({buf->base, static_cast<size_t>(n)}, std::move(fds), lines);
  for (auto& [line, line_fds] : lines) {
    if (self->closing()) return;
    self->handle_line(line, line_fds);
  }
  if (!r) {
    self->send(encode_error(std::nullopt, r.error()));
    self->server_->drop(self);
  }
}

void ControlConnection::handle_line(std::string& line, std::vector<UniqueFd>& fds) {
  if (line.empty()) return;
  auto req = parse_request(line);
  if (!req) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    std::optional<uint64_t> id;
    if (j.is_object() && j.contains("id") && j["id"].is_number_unsigned()) id = j["id"].get<uint64_t>();
    send(encode_error(id, req.error()));
    return;
  }
  req->fds = std::move(fds);
  Responder responder(self_, req->id);
  server_->handler_(std::move(*req), peer_, responder);
}

Result<UvOwned<ControlServer>> ControlServer::create(uv_loop_t* loop, const std::string& path, RequestHandler handler) {
  UvOwned<ControlServer> s(new ControlServer(path, std::move(handler)));
  STACK_TRY(s->init_result(uv_pipe_init(loop, s->raw(), 0), "failed to create the control socket handle"));
  if (socket_alive(path)) return fail_errno(EADDRINUSE, "control socket '" + path + "' is served by another process");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("failed to remove stale control socket '" + path + "'");
  int rc = uv_pipe_bind(s->raw(), path.c_str());
  if (rc < 0) return fail_uv(rc, "failed to bind control socket '" + path + "'");
  s->bound_ = true;
  if (::chmod(path.c_str(), 0600) != 0) return fail_errno("failed to chmod control socket '" + path + "'");
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(s->raw()), 64, &ControlServer::on_connection);
  if (rc < 0) return fail_uv(rc, "failed to listen on control socket '" + path + "'");
  return s;
}

void ControlServer::on_connection(uv_stream_t* st, int status) {
  auto* self = owner<ControlServer>(reinterpret_cast<uv_pipe_t*>(st));
  if (status < 0 || self->closing()) return;
  UvOwned<ControlConnection> c(new ControlConnection(self));
  if (!c->init_result(uv_pipe_init(self->loop(), c->raw(), 1), "control connection")) return;
  if (uv_accept(st, reinterpret_cast<uv_stream_t*>(c->raw())) != 0) return;
  uv_os_fd_t fd = -1;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (uv_fileno(c->uv_base(), &fd) != 0 || ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return;
  if (cred.uid != 0 && cred.uid != ::geteuid()) return;  // dropping c closes it
  c->peer_ = {cred.pid, cred.uid};
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(c->raw()), &ControlConnection::on_alloc, &ControlConnection::on_read) != 0)
    return;
  self->conns_.push_back(std::move(c));
}

void ControlServer::drop(ControlConnection* c) {
  auto it = std::find_if(conns_.begin(), conns_.end(), [&](const auto& p) { return p.get() == c; });
  if (it != conns_.end()) conns_.erase(it);  // the UvOwned closes it
}

void ControlServer::on_close() noexcept {
  conns_.clear();
  if (bound_) ::unlink(path_.c_str());
}

}  // namespace stack::supervisor
