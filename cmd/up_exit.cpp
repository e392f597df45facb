#include "cmd/up_exit.hpp"

#include "engine/supervisor/control_client.hpp"

namespace stack::cli {

bool ExitWatch::exited() {
  if (!first_.empty()) return true;
  auto now = std::chrono::steady_clock::now();
  if (now < next_) return false;
  next_ = now + std::chrono::milliseconds(250);
  auto c = supervisor::ControlClient::connect(socket_);
  if (!c) return false;
  auto ps = c->call("ps", {{"all", true}});
  if (!ps) return false;
  for (const auto& e : ps->at("containers")) {
    std::string st = e.value("State", "");
    if (st != "exited" && st != "dead") continue;
    first_ = e.value("Name", "");
    first_code_ = e.value("ExitCode", 0);
    return true;
  }
  return false;
}

int ExitWatch::code(const nlohmann::json& stop_reply) const {
  if (from_.empty()) return first_code_;
  for (const auto& e : stop_reply.value("exits", nlohmann::json::array()))
    if (e.value("service", "") == from_) return e.value("code", 0);
  return first_code_;
}

}  // namespace stack::cli
