// Top-level networks and volumes, and raw JSON for x-* extensions.
#include <charconv>

#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

// `external: true`, or compose's older `external: {name: x}`.
Result<void> read_external(const Node& v, const std::string& p, bool& external, std::string& name,
                           std::vector<std::string>* warnings) {
  if (v.is_map()) {
    STACK_TRY(check_keys(v, p, {"name"}));
    external = true;
    if (const Node* n = v.find("name")) STACK_ASSIGN(name, read_string(*n, join_path(p, "name")));
    if (warnings) warnings->push_back(to_mark(v.pos).str() + ": " + p + ".name is deprecated, use name: instead");
    return {};
  }
  STACK_ASSIGN(external, read_bool(v, p));
  return {};
}

Result<std::vector<IpamConfig>> read_ipam_config(const Node& n, const std::string& path) {
  if (!n.is_seq()) return fail_at(n, path, "expected a list");
  std::vector<IpamConfig> out;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    std::string ip = index_path(path, i);
    STACK_TRY(check_keys(item, ip, {"subnet", "gateway", "ip_range", "aux_addresses"}));
    IpamConfig c;
    for (const auto& e : item.entries) {
      std::string kp = join_path(ip, e.key.text);
      if (e.key.text == "subnet") STACK_ASSIGN(c.subnet, read_string(e.value, kp));
      if (e.key.text == "gateway") STACK_ASSIGN(c.gateway, read_string(e.value, kp));
      if (e.key.text == "ip_range") STACK_ASSIGN(c.ip_range, read_string(e.value, kp));
      if (e.key.text == "aux_addresses") STACK_ASSIGN(c.aux_addresses, read_string_map(e.value, kp));
    }
    out.push_back(std::move(c));
  }
  return out;
}

Result<Network> read_network(const Entry& entry, const NormalizeContext& ctx) {
  std::string path = join_path("networks", entry.key.text);
  Network n;
  n.mark = to_mark(entry.key.pos);
  std::string name;
  const Node& v = entry.value;
  if (!v.is_null()) {
    STACK_TRY(check_keys(v, path, {"name", "driver", "driver_opts", "ipam", "external", "internal", "attachable",
                                   "labels", "enable_ipv6", "enable_ipv4"}));
    n.extensions = extensions_of(v);
    for (const auto& e : v.entries) {
      const std::string& k = e.key.text;
      std::string kp = join_path(path, k);
      if (e.value.is_null() || k.rfind("x-", 0) == 0) continue;
      if (k == "name") STACK_ASSIGN(name, read_string(e.value, kp));
      if (k == "driver") {
        STACK_ASSIGN(n.driver, read_string(e.value, kp));
        if (n.driver != "bridge") return fail_at(e.value, kp, "network driver " + quote(n.driver) + " is not supported by stack (bridge)");
      }
      if (k == "driver_opts") STACK_ASSIGN(n.driver_opts, read_string_map(e.value, kp));
      if (k == "labels") STACK_ASSIGN(n.labels, read_string_map(e.value, kp));
      if (k == "internal") STACK_ASSIGN(n.internal, read_bool(e.value, kp));
      if (k == "attachable") STACK_ASSIGN(n.attachable, read_bool(e.value, kp));
      if (k == "external") STACK_TRY(read_external(e.value, kp, n.external, name, ctx.warnings));
      if (k == "enable_ipv6" || k == "enable_ipv4") {
        bool on = false;
        STACK_ASSIGN(on, read_bool(e.value, kp));
        if (on != (k == "enable_ipv4")) return fail_at(e.key, kp, quote(k) + ": " + (on ? "true" : "false") + " is not supported by stack");
      }
      if (k == "ipam") {
        STACK_TRY(check_keys(e.value, kp, {"driver", "config"}, {"options"}));
        if (const Node* d = e.value.find("driver")) {
          STACK_ASSIGN(n.ipam_driver, read_string(*d, join_path(kp, "driver")));
          if (n.ipam_driver != "default") return fail_at(*d, join_path(kp, "driver"), "IPAM driver " + quote(n.ipam_driver) + " is not supported by stack");
        }
        if (const Node* c = e.value.find("config")) STACK_ASSIGN(n.ipam, read_ipam_config(*c, join_path(kp, "config")));
      }
    }
  }
  n.name = !name.empty() ? name : n.external ? entry.key.text : ctx.project_name + "_" + entry.key.text;
  return n;
}

Result<Volume> read_volume(const Entry& entry, const NormalizeContext& ctx) {
  std::string path = join_path("volumes", entry.key.text);
  Volume vol;
  vol.mark = to_mark(entry.key.pos);
  std::string name;
  const Node& v = entry.value;
  if (!v.is_null()) {
    STACK_TRY(check_keys(v, path, {"name", "driver", "driver_opts", "external", "labels"}));
    vol.extensions = extensions_of(v);
    for (const auto& e : v.entries) {
      const std::string& k = e.key.text;
      std::string kp = join_path(path, k);
      if (e.value.is_null() || k.rfind("x-", 0) == 0) continue;
      if (k == "name") STACK_ASSIGN(name, read_string(e.value, kp));
      if (k == "driver") {
        STACK_ASSIGN(vol.driver, read_string(e.value, kp));
        if (vol.driver != "local") return fail_at(e.value, kp, "volume driver " + quote(vol.driver) + " is not supported by stack (local)");
      }
      if (k == "driver_opts") STACK_ASSIGN(vol.driver_opts, read_string_map(e.value, kp));
      if (k == "labels") STACK_ASSIGN(vol.labels, read_string_map(e.value, kp));
      if (k == "external") STACK_TRY(read_external(e.value, kp, vol.external, name, ctx.warnings));
    }
  }
  vol.name = !name.empty() ? name : vol.external ? entry.key.text : ctx.project_name + "_" + entry.key.text;
  return vol;
}

}  // namespace

Mark to_mark(const Pos& pos) {
  return Mark{pos.file ? *pos.file : std::string(), pos.line, pos.col};
}

Result<std::map<std::string, Network>> read_networks(const Node* n, const NormalizeContext& ctx) {
  std::map<std::string, Network> out;
  if (!n || n->is_null()) return out;
  STACK_TRY(expect_map(*n, "networks"));
  for (const auto& e : n->entries) {
    if (!valid_resource_name(e.key.text)) {
      return fail_at(e.key, join_path("networks", e.key.text), "invalid network name " + quote(e.key.text));
    }
    STACK_ASSIGN(out[e.key.text], read_network(e, ctx));
  }
  return out;
}

Result<std::map<std::string, Volume>> read_volumes_top(const Node* n, const NormalizeContext& ctx) {
  std::map<std::string, Volume> out;
  if (!n || n->is_null()) return out;
  STACK_TRY(expect_map(*n, "volumes"));
  for (const auto& e : n->entries) {
    if (!valid_resource_name(e.key.text)) {
      return fail_at(e.key, join_path("volumes", e.key.text), "invalid volume name " + quote(e.key.text));
    }
    STACK_ASSIGN(out[e.key.text], read_volume(e, ctx));
  }
  return out;
}

nlohmann::json extensions_of(const Node& n) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& e : n.entries) {
    if (e.key.text.rfind("x-", 0) == 0) out[e.key.text] = to_json_value(e.value);
  }
  return out;
}

nlohmann::json to_json_value(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null:
      return nullptr;
    case Node::Kind::Scalar: {
      if (n.quoted) return n.text;
      if (n.text == "true" || n.text == "True" || n.text == "TRUE") return true;
      if (n.text == "false" || n.text == "False" || n.text == "FALSE") return false;
      const char* b = n.text.data();
      const char* e = b + n.text.size();
      int64_t i = 0;
      if (auto [p, ec] = std::from_chars(b, e, i); ec == std::errc() && p == e) return i;
      double d = 0;
      if (auto [p, ec] = std::from_chars(b, e, d); ec == std::errc() && p == e && n.text.find_first_of("0123456789") != std::string::npos) return d;
      return n.text;
    }
    case Node::Kind::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& i : n.items) a.push_back(to_json_value(i));
      return a;
    }
    case Node::Kind::Mapping: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& e : n.entries) o[e.key.text] = to_json_value(e.value);
      return o;
    }
  }
  return nullptr;
}

}  // namespace stack::model
