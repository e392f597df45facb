#pragma once
// The control socket's protocol, without I/O (design.md: JSON lines over a unix
// stream socket, file descriptors with SCM_RIGHTS).
//
//   client -> {"id":7,"method":"ps","params":{...}}            (+ fds, see below)
//   server -> {"id":7,"event":{...}}                           zero or more (streams)
//   server -> {"id":7,"result":{...}} | {"id":7,"error":{"code":2,"message":"..."}}
//
// Every request carries a client-chosen id; the final result or error ends it.
// File descriptors travel in the same sendmsg(2) as their request line. The kernel
// delivers them with the read that ends with the first part of that line
// (unix(7): a read stops after a message that carries rights), so a receiver
// attaches them to the line that contains the last byte of that read.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::supervisor {

inline constexpr std::size_t kMaxControlLine = 1 << 20;  // 1 MiB
inline constexpr std::size_t kMaxControlFds = 16;

struct ControlMessage {
  nlohmann::json body;
  std::vector<UniqueFd> fds;
};

// Cuts the received bytes into lines and attaches received fds by the rule above.
class ControlFramer {
 public:
  // One read's bytes and the fds that came with it. Fails when a line exceeds
  // kMaxControlLine (the peer is broken; the caller drops the connection).
  Result<void> feed(std::string_view bytes, std::vector<UniqueFd> fds, std::vector<std::pair<std::string, std::vector<UniqueFd>>>& lines);

 private:
  std::string pending_;
  std::vector<UniqueFd> pending_fds_;  // for the line in progress
};

struct Request {
  uint64_t id = 0;
  std::string method;
  nlohmann::json params;
  std::vector<UniqueFd> fds;
};
Result<Request> parse_request(std::string_view line);

std::string encode_request(uint64_t id, const std::string& method, const nlohmann::json& params);
std::string encode_result(uint64_t id, const nlohmann::json& result);
std::string encode_error(std::optional<uint64_t> id, const Error& e);
std::string encode_event(uint64_t id, const nlohmann::json& event);

}  // namespace stack::supervisor
