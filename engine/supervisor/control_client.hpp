#pragma once
// The CLI's side of the control socket: blocking, one request at a time, no loop.
//
//   auto c = ControlClient::connect(layout.control_socket());
//   auto r = c->call("ps", {{"all", true}});            // Result<json>
//   auto r = c->call("exec", params, fds_to_pass, on_event, 30s);
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "engine/supervisor/control_protocol.hpp"

namespace stack::supervisor {

class ControlClient {
 public:
  // ENOENT or ECONNREFUSED mean that no supervisor runs for the stack.
  static Result<ControlClient> connect(const std::string& path);

  using OnEvent = std::function<void(const nlohmann::json& event, std::vector<UniqueFd>& fds)>;
  // Sends one request (with fds, which the kernel duplicates into the server) and
  // waits for its result; events of the request go to on_event. A server error comes
  // back as an Error with the server's code and message. timeout < 0: wait forever.
  Result<nlohmann::json> call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                              const std::vector<int>& fds = {}, const OnEvent& on_event = nullptr,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));

  // Lower level, for tests and for streaming: one raw line with fds, and the next
  // message (its fds are those that arrived with it).
  Result<void> send_line(std::string_view line, const std::vector<int>& fds = {});
  Result<ControlMessage> receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(-1));
  int fd() const { return fd_.get(); }

 private:
  ControlClient(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
  ControlFramer framer_;
  std::vector<std::pair<std::string, std::vector<UniqueFd>>> ready_;
  uint64_t next_id_ = 1;
};

}  // namespace stack::supervisor
