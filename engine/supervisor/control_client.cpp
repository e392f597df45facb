#include "engine/supervisor/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace stack::supervisor {

Result<ControlClient> ControlClient::connect(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno("failed to create a unix socket");
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return fail_errno(ENAMETOOLONG, "control socket path '" + path + "'");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return fail_errno("failed to connect to the supervisor at '" + path + "'");
  return ControlClient(path, std::move(fd));
}

Result<void> ControlClient::send_line(std::string_view line, const std::vector<int>& fds) {
  if (fds.size() > kMaxControlFds) return fail_errno(EINVAL, "too many file descriptors for one message");
  std::size_t off = 0;
  bool first = true;
  while (off < line.size()) {
    iovec iov{const_cast<char*>(line.data() + off), line.size() - off};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxControlFds)];
    if (first && !fds.empty()) {
      // unix(7): the rights go with the first byte of this sendmsg.
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("failed to send to the supervisor at '" + path_ + "'");
    off += static_cast<std::size_t>(n);
    first = false;
  }
  return {};
}

Result<ControlMessage> ControlClient::receive(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ready_.empty()) {
    int wait = -1;
    if (timeout.count() >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd p{fd_.get(), POLLIN, 0};
    int rc = ::poll(&p, 1, wait);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return fail_errno("failed to wait for the supervisor");
    if (rc == 0) return fail_errno(ETIMEDOUT, "no answer from the supervisor at '" + path_ + "'");
    char buf[65536];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxControlFds)];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("failed to read from the supervisor at '" + path_ + "'");
    if (n == 0) return fail_errno(ECONNRESET, "the supervisor at '" + path_ + "' closed the connection");
    std::vector<UniqueFd> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int f;
        std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
        fds.emplace_back(f);
      }
    }
    STACK_TRY(framer_.feed({buf, static_cast<std::size_t>(n)}, std::move(fds), ready_));
  }
  auto [line, fds] = std::move(ready_.front());
  ready_.erase(ready_.begin());
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return fail("invalid message from the supervisor: " + line.substr(0, 200));
  return ControlMessage{std::move(j), std::move(fds)};
}

Result<nlohmann::json> ControlClient::call(const std::string& method, const nlohmann::json& params,
                                           const std::vector<int>& fds, const OnEvent& on_event,
                                           std::chrono::milliseconds timeout) {
  uint64_t id = next_id_++;
  STACK_TRY(send_line(encode_request(id, method, params), fds));
  for (;;) {
    auto m = receive(timeout);
    if (!m) return unexpected(m.error().wrap(method));
    auto& b = m->body;
    bool ours = b.contains("id") && b["id"].is_number_unsigned() && b["id"].get<uint64_t>() == id;
    if (!ours) {
      // An error without id: the server could not read our request at all.
      if (b.contains("error") && b.contains("id") && b["id"].is_null())
        return unexpected(Error{0, method + ": " + b["error"].value("message", std::string("error"))});
      continue;  // an answer to an earlier request that timed out
    }
    if (b.contains("event")) {
      if (on_event) on_event(b["event"], m->fds);
      continue;
    }
    if (b.contains("error")) {
      const auto& e = b["error"];
      return unexpected(Error{e.value("code", 0), e.value("message", std::string("error"))});
    }
    return b.contains("result") ? b["result"] : nlohmann::json();
  }
}

}  // namespace stack::supervisor
