// depends_on, healthcheck, deploy, ulimits, logging, networks, extra_hosts, command.
#include "engine/model/normalize.hpp"
#include "engine/model/units.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {


Result<Resources> read_resources(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"cpus", "memory", "pids"}, {"devices", "generic_resources"}));
  Resources r;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (e.key.text == "cpus") STACK_ASSIGN(r.cpus, read_cpus(e.value, kp));
    if (e.key.text == "memory") STACK_ASSIGN(r.memory, read_size(e.value, kp));
    if (e.key.text == "pids") STACK_ASSIGN(r.pids, read_int(e.value, kp, -1, INT64_MAX));
  }
  return r;
}

Result<RestartPolicy> read_restart_policy(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"condition", "delay", "max_attempts", "window"}));
  RestartPolicy r;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (e.key.text == "condition") {
      STACK_ASSIGN(r.condition, read_string(e.value, kp));
      if (r.condition != "none" && r.condition != "on-failure" && r.condition != "any") {
        return fail_at(e.value, kp, "condition must be none, on-failure or any");
      }
    }
    if (e.key.text == "delay") STACK_ASSIGN(r.delay_ns, read_duration(e.value, kp));
    if (e.key.text == "window") STACK_ASSIGN(r.window_ns, read_duration(e.value, kp));
    if (e.key.text == "max_attempts") {
      int64_t v = 0;
      STACK_ASSIGN(v, read_int(e.value, kp, 0, INT64_MAX));
      r.max_attempts = static_cast<uint64_t>(v);
    }
  }
  return r;
}

}  // namespace

Result<std::map<std::string, Dependency>> read_depends_on(const Node& n, const std::string& path) {
  STACK_TRY(expect_map(n, path));
  std::map<std::string, Dependency> out;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    Dependency d;
    if (!e.value.is_null()) {
      STACK_TRY(check_keys(e.value, kp, {"condition", "required", "restart"}));
      for (const auto& f : e.value.entries) {
        std::string fp = join_path(kp, f.key.text);
        if (f.key.text == "condition") {
          STACK_ASSIGN(d.condition, read_string(f.value, fp));
          if (d.condition != "service_started" && d.condition != "service_healthy" &&
              d.condition != "service_completed_successfully") {
            return fail_at(f.value, fp, "invalid condition " + quote(d.condition) +
                                            " (service_started, service_healthy or service_completed_successfully)");
          }
        }
        if (f.key.text == "required") STACK_ASSIGN(d.required, read_bool(f.value, fp));
        if (f.key.text == "restart") STACK_ASSIGN(d.restart, read_bool(f.value, fp));
      }
    }
    out[e.key.text] = d;
  }
  return out;
}

Result<Healthcheck> read_healthcheck(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}));
  Healthcheck h;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    const std::string& k = e.key.text;
    if (e.value.is_null()) continue;
    if (k == "test") {
      if (e.value.is_scalar()) {
        h.test = {"CMD-SHELL", e.value.text};
      } else {
        STACK_ASSIGN(h.test, read_string_list(e.value, kp));
        if (h.test.empty() || (h.test[0] != "CMD" && h.test[0] != "CMD-SHELL" && h.test[0] != "NONE")) {
          return fail_at(e.value, kp, "a test list starts with \"CMD\", \"CMD-SHELL\" or \"NONE\"");
        }
      }
    }
    if (k == "interval") STACK_ASSIGN(h.interval_ns, read_duration(e.value, kp));
    if (k == "timeout") STACK_ASSIGN(h.timeout_ns, read_duration(e.value, kp));
    if (k == "start_period") STACK_ASSIGN(h.start_period_ns, read_duration(e.value, kp));
    if (k == "start_interval") STACK_ASSIGN(h.start_interval_ns, read_duration(e.value, kp));
    if (k == "disable") STACK_ASSIGN(h.disable, read_bool(e.value, kp));
    if (k == "retries") {
      int64_t v = 0;
      STACK_ASSIGN(v, read_int(e.value, kp, 0, INT32_MAX));
      h.retries = static_cast<uint64_t>(v);
    }
  }
  if (h.disable && !h.test.empty() && h.test[0] != "NONE") {
    return fail_at(n, path, "test and disable: true are exclusive");
  }
  return h;
}

Result<Deploy> read_deploy(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"mode", "replicas", "resources", "restart_policy", "labels"},
                       {"endpoint_mode", "rollback_config", "update_config", "placement"}));
  Deploy d;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    const std::string& k = e.key.text;
    if (e.value.is_null()) continue;
    if (k == "mode") {
      STACK_ASSIGN(d.mode, read_string(e.value, kp));
      if (d.mode == "global" || d.mode == "replicated-job" || d.mode == "global-job") {
        return fail_at(e.value, kp, "deploy mode " + quote(d.mode) + " is not supported by stack");
      }
      if (d.mode != "replicated") return fail_at(e.value, kp, "invalid deploy mode " + quote(d.mode));
    }
    if (k == "replicas") {
      int64_t v = 0;
      STACK_ASSIGN(v, read_int(e.value, kp, 0, 10000));
      d.replicas = static_cast<uint64_t>(v);
    }
    if (k == "labels") STACK_ASSIGN(d.labels, read_string_map(e.value, kp));
    if (k == "restart_policy") STACK_ASSIGN(d.restart_policy, read_restart_policy(e.value, kp));
    if (k == "resources") {
      STACK_TRY(check_keys(e.value, kp, {"limits", "reservations"}));
      for (const auto& r : e.value.entries) {
        std::string rp = join_path(kp, r.key.text);
        if (r.value.is_null()) continue;
        if (r.key.text == "limits") STACK_ASSIGN(d.limits, read_resources(r.value, rp));
        if (r.key.text == "reservations") STACK_ASSIGN(d.reservations, read_resources(r.value, rp));
      }
    }
  }
  return d;
}

Result<std::map<std::string, Ulimit>> read_ulimits(const Node& n, const std::string& path) {
  STACK_TRY(expect_map(n, path));
  std::map<std::string, Ulimit> out;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (!valid_ulimit(e.key.text)) return fail_at(e.key, kp, "unknown ulimit " + quote(e.key.text));
    Ulimit u;
    if (e.value.is_scalar()) {
      STACK_ASSIGN(u.soft, read_int(e.value, kp, -1, INT64_MAX));
      u.hard = u.soft;
      u.single = true;
    } else {
      STACK_TRY(check_keys(e.value, kp, {"soft", "hard"}));
      const Node* soft = e.value.find("soft");
      const Node* hard = e.value.find("hard");
      if (!soft || !hard) return fail_at(e.value, kp, "a ulimit needs both soft and hard");
      STACK_ASSIGN(u.soft, read_int(*soft, join_path(kp, "soft"), -1, INT64_MAX));
      STACK_ASSIGN(u.hard, read_int(*hard, join_path(kp, "hard"), -1, INT64_MAX));
      if (u.hard != -1 && (u.soft == -1 || u.soft > u.hard)) {
        return fail_at(e.value, kp, "soft limit is above the hard limit");
      }
    }
    out[e.key.text] = u;
  }
  return out;
}

Result<Logging> read_logging(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"driver", "options"}));
  Logging l;
  if (const Node* d = n.find("driver"); d && !d->is_null()) {
    STACK_ASSIGN(l.driver, read_string(*d, join_path(path, "driver")));
    if (l.driver != "json-file" && l.driver != "none" && l.driver != "local") {
      return fail_at(*d, join_path(path, "driver"),
                     "logging driver " + quote(l.driver) + " is not supported by stack (json-file, local, none)");
    }
  }
  if (const Node* o = n.find("options"); o && !o->is_null()) {
    std::string op = join_path(path, "options");
    STACK_TRY(check_keys(*o, op, {"max-size", "max-file"}, {"compress", "labels", "env", "tag", "mode"}));
    STACK_ASSIGN(l.options, read_string_map(*o, op));
    for (const auto& e : o->entries) {
      std::string kp = join_path(op, e.key.text);
      if (e.key.text == "max-size") STACK_TRY(read_size(e.value, kp));
      if (e.key.text == "max-file") STACK_TRY(read_int(e.value, kp, 1, 1000000));
    }
  }
  return l;
}

Result<std::map<std::string, std::optional<ServiceNetwork>>> read_service_networks(
    const Node& n, const std::string& path) {
  STACK_TRY(expect_map(n, path));
  std::map<std::string, std::optional<ServiceNetwork>> out;
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (e.value.is_null()) {
      out[e.key.text] = std::nullopt;
      continue;
    }
    STACK_TRY(check_keys(e.value, kp, {"aliases", "ipv4_address", "priority"},
                         {"ipv6_address", "link_local_ips", "mac_address", "driver_opts", "gw_priority",
                          "interface_name"}));
    ServiceNetwork sn;
    if (const Node* a = e.value.find("aliases")) STACK_ASSIGN(sn.aliases, read_string_list(*a, join_path(kp, "aliases")));
    if (const Node* ip = e.value.find("ipv4_address")) {
      STACK_ASSIGN(sn.ipv4_address, read_string(*ip, join_path(kp, "ipv4_address")));
    }
    if (const Node* b = e.value.find("x-bandwidth")) STACK_ASSIGN(sn.bandwidth, read_bandwidth(*b, join_path(kp, "x-bandwidth")));
    if (const Node* pr = e.value.find("priority")) {
      STACK_ASSIGN(sn.priority, read_int(*pr, join_path(kp, "priority"), -1000000, 1000000));
    }
    out[e.key.text] = sn;
  }
  return out;
}

Result<std::vector<ExtraHost>> read_extra_hosts(const Node& n, const std::string& path) {
  std::vector<ExtraHost> out;
  if (n.is_map()) {
    for (const auto& e : n.entries) {
      auto ips = read_string_or_list(e.value, join_path(path, e.key.text));
      if (!ips) return unexpected(std::move(ips).error());
      for (auto& ip : *ips) out.push_back({e.key.text, ip});
    }
    return out;
  }
  auto list = read_string_list(n, path);
  if (!list) return unexpected(std::move(list).error());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string& s = (*list)[i];
    // "host=ip" (compose >= 2.24) or "host:ip"; an IPv6 address may hold colons.
    auto sep = s.find('=');
    if (sep == std::string::npos) sep = s.find(':');
    if (sep == std::string::npos || sep == 0 || sep + 1 == s.size()) {
      return fail_at(n.items[i], index_path(path, i), "invalid extra host " + quote(s) + " (want host=ip)");
    }
    std::string ip = s.substr(sep + 1);
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    out.push_back({s.substr(0, sep), ip});
  }
  return out;
}

Result<std::vector<std::string>> read_command(const Node& n, const std::string& path) {
  if (n.is_scalar()) {
    auto words = shell_split(n.text);
    if (!words) return fail_at(n, path, "cannot split " + quote(n.text) + ": " + words.error().message);
    return words;
  }
  return read_string_list(n, path);
}

Result<std::string> read_cgroup_parent(const Node& v, const std::string& path) {
  auto text = read_string(v, path);
  if (!text || text->empty() || *text == "/") return text;
  std::string_view rest = *text;
  if (rest.front() == '/') rest.remove_prefix(1);
  for (size_t start = 0;;) {
    size_t end = rest.find('/', start);
    std::string_view part = rest.substr(start, end == std::string_view::npos ? rest.npos : end - start);
    if (part.empty() || part == "." || part == "..")
      return fail_at(v, path, "invalid cgroup_parent " + quote(*text) + " (an empty, \".\" or \"..\" component)");
    if (end == std::string_view::npos) return text;
    start = end + 1;
  }
}

}  // namespace stack::model
