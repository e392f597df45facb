#include "engine/supervisor/control_protocol.hpp"

namespace stack::supervisor {

Result<void> ControlFramer::feed(std::string_view bytes, std::vector<UniqueFd> fds,
                                 std::vector<std::pair<std::string, std::vector<UniqueFd>>>& lines) {
  pending_.append(bytes);
  bool ends_line = !bytes.empty() && bytes.back() == '\n';
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::vector<UniqueFd> attached = std::move(pending_fds_);
    pending_fds_.clear();
    bool last = nl + 1 == pending_.size();
    if (last && ends_line)
      for (auto& f : fds) attached.push_back(std::move(f));
    lines.emplace_back(pending_.substr(start, nl - start), std::move(attached));
  }
  pending_.erase(0, start);
  if (!ends_line)
    for (auto& f : fds)
      if (f) pending_fds_.push_back(std::move(f));
  if (pending_.size() > kMaxControlLine)
    return fail("control message longer than " + std::to_string(kMaxControlLine) + " bytes");
  return {};
}

Result<Request> parse_request(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return fail("invalid control request: not a JSON object");
  if (!j.contains("id") || !j["id"].is_number_unsigned()) return fail("invalid control request: no numeric \"id\"");
  Request r;
  r.id = j["id"].get<uint64_t>();
  if (!j.contains("method") || !j["method"].is_string())
    return unexpected(Error{0, "invalid control request " + std::to_string(r.id) + ": no \"method\""});
  r.method = j["method"].get<std::string>();
  r.params = j.contains("params") ? j["params"] : nlohmann::json::object();
  return r;
}

namespace {
std::string line(const nlohmann::json& j) {
  // Replace invalid UTF-8 rather than throw: a message must always be sendable.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}
}  // namespace

std::string encode_request(uint64_t id, const std::string& method, const nlohmann::json& params) {
  return line({{"id", id}, {"method", method}, {"params", params}});
}

std::string encode_result(uint64_t id, const nlohmann::json& result) { return line({{"id", id}, {"result", result}}); }

std::string encode_error(std::optional<uint64_t> id, const Error& e) {
  nlohmann::json j;
  j["id"] = id ? nlohmann::json(*id) : nlohmann::json(nullptr);
  j["error"] = {{"code", e.code}, {"message", e.message}};
  return line(j);
}

std::string encode_event(uint64_t id, const nlohmann::json& event) { return line({{"id", id}, {"event", event}}); }

}  // namespace stack::supervisor
