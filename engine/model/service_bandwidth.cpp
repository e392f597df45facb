// x-bandwidth of a service and of its network entries: checked and read into numbers.
#include "engine/model/bandwidth.hpp"
#include "engine/model/normalize.hpp"
#include "engine/model/tc_units.hpp"
#include "engine/model/values.hpp"

namespace stack::model {

Result<Bandwidth> read_bandwidth(const Node& n, const std::string& path) {
  Bandwidth bw;
  if (n.is_null()) return bw;  // as `{}`: no limit
  STACK_TRY(expect_map(n, path));
  for (const auto& e : n.entries) {
    const std::string& k = e.key.text;
    std::string kp = join_path(path, k);
    if (k != "egress" && k != "ingress" && k != "burst")
      return fail_at(e.key, kp, "unknown key " + quote(k) + " in x-bandwidth (egress, ingress, burst)");
    std::string text;
    STACK_ASSIGN(text, read_string(e.value, kp));
    if (k == "burst") {
      auto size = parse_tc_size(text);
      if (!size) return fail_at(e.value, kp, size.error().message);
      bw.burst_bytes = *size;
      continue;
    }
    auto rate = parse_rate(text);
    if (!rate) return fail_at(e.value, kp, rate.error().message);
    (k == "egress" ? bw.egress_bps : bw.ingress_bps) = *rate;
  }
  if (bw.burst_bytes && bw.empty())
    return fail_at(*n.find("burst"), join_path(path, "burst"), "a burst needs a rate: egress, ingress or both");
  return bw;
}

Result<void> check_bandwidth_mode(const Node& service, const Service& s, const std::string& path) {
  const Entry* key = nullptr;
  for (const auto& e : service.entries)
    if (e.key.text == "x-bandwidth") key = &e;
  if (!key || !s.bandwidth || s.network_mode.empty()) return {};
  std::string why = s.network_mode == "host" ? "it uses the host's network"
                    : s.network_mode == "none" ? "it has no network"
                                               : "it shares the network namespace of " + s.network_mode.substr(
                                                     s.network_mode.find(':') + 1);
  return fail_at(key->key, join_path(path, "x-bandwidth"),
                 "x-bandwidth cannot be used with network_mode " + quote(s.network_mode) + ": " + why +
                     ", so it has no link of its own to limit");
}

Bandwidth bandwidth_on(const Service& s, const std::string& network) {
  auto it = s.networks.find(network);
  if (it != s.networks.end() && it->second && it->second->bandwidth) return *it->second->bandwidth;
  return s.bandwidth.value_or(Bandwidth{});
}

nlohmann::json bandwidth_json(const Bandwidth& bw) {
  nlohmann::json o = nlohmann::json::object();
  if (bw.egress_bps) o["egress"] = format_rate(*bw.egress_bps);
  if (bw.ingress_bps) o["ingress"] = format_rate(*bw.ingress_bps);
  if (bw.burst_bytes) o["burst"] = format_tc_size(*bw.burst_bytes);
  return o;
}

}  // namespace stack::model
