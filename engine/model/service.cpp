// One service: each key of the stack file checked and read into its typed field.
#include <functional>
#include <regex>

#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

using Field = std::function<Result<void>(const Node& v, const std::string& path, Service& s,
                                         const NormalizeContext& ctx)>;

Result<std::optional<int64_t>> opt_size(const Node& v, const std::string& p) {
  auto r = read_size(v, p);
  if (!r) return unexpected(std::move(r).error());
  return std::optional<int64_t>(*r);
}

template <typename T>
Field set(T Service::*member, Result<T> (*reader)(const Node&, const std::string&)) {
  return [member, reader](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
    STACK_ASSIGN(s.*member, reader(v, p));
    return {};
  };
}

Field size_field(std::optional<int64_t> Service::*member) { return set(member, &opt_size); }

Result<bool> bool_reader(const Node& v, const std::string& p) { return read_bool(v, p); }
Result<std::string> string_reader(const Node& v, const std::string& p) { return read_string(v, p); }
Result<std::vector<std::string>> list_reader(const Node& v, const std::string& p) {
  return read_string_or_list(v, p);
}

Result<std::vector<std::string>> read_capabilities(const Node& v, const std::string& p) {
  auto caps = read_string_list(v, p);
  if (!caps) return caps;
  for (size_t i = 0; i < caps->size(); ++i) {
    if (!valid_capability((*caps)[i])) return fail_at(v.items[i], index_path(p, i), "unknown capability " + quote((*caps)[i]));
  }
  return caps;
}

bool valid_name(const std::string& s) {
  static const std::regex re("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$");
  return std::regex_match(s, re);
}

const std::map<std::string, Field>& fields() {
  static const std::map<std::string, Field> table = {
      {"image", set(&Service::image, &string_reader)},
      {"command", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.command, read_command(v, p));
         return {};
       }},
      {"entrypoint", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.entrypoint, read_command(v, p));
         return {};
       }},
      {"environment", nullptr},  // read together with env_file
      {"env_file", nullptr},
      {"working_dir", set(&Service::working_dir, &string_reader)},
      {"user", set(&Service::user, &string_reader)},
      {"hostname", set(&Service::hostname, &string_reader)},
      {"domainname", set(&Service::domainname, &string_reader)},
      {"ports", set(&Service::ports, &read_ports)},
      {"expose", set(&Service::expose, &read_expose)},
      {"volumes", [](const Node& v, const std::string& p, Service& s, const NormalizeContext& ctx) -> Result<void> {
         STACK_ASSIGN(s.volumes, read_volumes(v, p, ctx));
         return {};
       }},
      {"tmpfs", set(&Service::tmpfs, &read_tmpfs)},
      {"depends_on", set(&Service::depends_on, &read_depends_on)},
      {"healthcheck", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.healthcheck, read_healthcheck(v, p));
         return {};
       }},
      {"restart", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.restart, read_string(v, p));
         static const std::regex re("^(no|always|unless-stopped|on-failure(:[0-9]+)?)$");
         if (!std::regex_match(s.restart, re)) {
           return fail_at(v, p, "invalid restart policy " + quote(s.restart) +
                                    " (no, always, on-failure[:N], unless-stopped)");
         }
         return {};
       }},
      {"deploy", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.deploy, read_deploy(v, p));
         return {};
       }},
      {"mem_limit", size_field(&Service::mem_limit)},
      {"memswap_limit", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         if (v.is_scalar() && v.text == "-1") {  // unlimited swap, as docker spells it
           s.memswap_limit = -1;
           return {};
         }
         STACK_ASSIGN(s.memswap_limit, opt_size(v, p));
         return {};
       }},
      {"mem_reservation", size_field(&Service::mem_reservation)},
      {"shm_size", size_field(&Service::shm_size)},
      {"cpus", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.cpus, read_cpus(v, p));
         return {};
       }},
      {"cpu_shares", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.cpu_shares, read_int(v, p, 0, 262144));
         return {};
       }},
      {"cpuset", set(&Service::cpuset, &string_reader)},
      {"cgroup_parent", set(&Service::cgroup_parent, &read_cgroup_parent)},
      {"blkio_config", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.blkio_config, read_blkio_config(v, p));
         return {};
       }},
      {"pids_limit", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.pids_limit, read_int(v, p, -1, INT64_MAX));
         return {};
       }},
      {"ulimits", set(&Service::ulimits, &read_ulimits)},
      {"sysctls", set(&Service::sysctls, &read_string_map)},
      {"cap_add", set(&Service::cap_add, &read_capabilities)},
      {"cap_drop", set(&Service::cap_drop, &read_capabilities)},
      {"security_opt", set(&Service::security_opt, &read_string_list)},
      {"privileged", set(&Service::privileged, &bool_reader)},
      {"read_only", set(&Service::read_only, &bool_reader)},
      {"userns_mode", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.userns_mode, read_string(v, p));
         STACK_ASSIGN(s.userns_size, read_userns_mode(v, p));
         return {};
       }},
      {"init", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.init, read_bool(v, p));
         return {};
       }},
      {"stop_signal", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.stop_signal, read_string(v, p));
         if (!valid_signal(s.stop_signal)) return fail_at(v, p, "unknown signal " + quote(s.stop_signal));
         return {};
       }},
      {"stop_grace_period", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.stop_grace_period_ns, read_duration(v, p));
         return {};
       }},
      {"profiles", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.profiles, read_string_list(v, p));
         for (size_t i = 0; i < s.profiles.size(); ++i) {
           if (!valid_name(s.profiles[i])) return fail_at(v.items[i], index_path(p, i), "invalid profile name " + quote(s.profiles[i]));
         }
         return {};
       }},
      {"networks", set(&Service::networks, &read_service_networks)},
      {"network_mode", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.network_mode, read_string(v, p));
         const std::string& m = s.network_mode;
         if (m.rfind("container:", 0) == 0) return fail_at(v, p, "network_mode \"container:...\" is not supported by stack");
         if (m != "none" && m != "host" && m != "bridge" && !(m.rfind("service:", 0) == 0 && m.size() > 8)) {
           return fail_at(v, p, "invalid network_mode " + quote(m) + " (none, host, bridge, service:NAME)");
         }
         return {};
       }},
      {"extra_hosts", set(&Service::extra_hosts, &read_extra_hosts)},
      {"dns", set(&Service::dns, &list_reader)},
      {"dns_search", set(&Service::dns_search, &list_reader)},
      {"dns_opt", set(&Service::dns_opt, &list_reader)},
      {"labels", set(&Service::labels, &read_string_map)},
      {"logging", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.logging, read_logging(v, p));
         return {};
       }},
      {"tty", set(&Service::tty, &bool_reader)},
      {"stdin_open", set(&Service::stdin_open, &bool_reader)},
      {"container_name", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         STACK_ASSIGN(s.container_name, read_string(v, p));
         if (!valid_name(s.container_name)) return fail_at(v, p, "invalid container name " + quote(s.container_name));
         return {};
       }},
      {"scale", [](const Node& v, const std::string& p, Service& s, const NormalizeContext&) -> Result<void> {
         int64_t n = 0;
         STACK_ASSIGN(n, read_int(v, p, 0, 10000));
         s.scale = static_cast<uint64_t>(n);
         return {};
       }},
  };
  return table;
}

// Compose fields (compose-spec.schema.json, service) that stack does not implement.
bool unsupported(const std::string& key) {
  static const std::set<std::string> keys = {
      "develop", "annotations", "attach", "build", "cgroup",
      "configs", "cpu_count", "cpu_percent", "cpu_quota", "cpu_period", "cpu_rt_period",
      "cpu_rt_runtime", "credential_spec", "device_cgroup_rules", "devices", "extends", "provider", "external_links", "gpus", "group_add",
      "ipc", "isolation", "label_file", "links", "mac_address", "mem_swappiness", "models",
      "oom_kill_disable", "oom_score_adj", "pid", "platform", "post_start", "pre_stop",
      "pull_policy", "pull_refresh_after", "runtime", "secrets", "storage_opt",
      "use_api_socket", "uts", "volumes_from"};
  return keys.count(key) != 0;
}

}  // namespace

bool valid_resource_name(std::string_view name) { return valid_name(std::string(name)); }

Result<Service> normalize_service(const Entry& entry, const NormalizeContext& ctx) {
  Service s;
  s.name = entry.key.text;
  s.mark = to_mark(entry.key.pos);
  std::string path = join_path("services", s.name);
  if (!valid_name(s.name)) return fail_at(entry.key, path, "invalid service name " + quote(s.name));
  if (entry.value.is_null()) return fail_at(entry.key, path, "missing \"image\"");
  STACK_TRY(expect_map(entry.value, path));
  for (const auto& e : entry.value.entries) {
    const std::string& k = e.key.text;
    std::string p = join_path(path, k);
    if (k == "x-bandwidth") {
      s.marks[k] = to_mark(e.value.pos);
      STACK_ASSIGN(s.bandwidth, read_bandwidth(e.value, p));
      continue;
    }
    if (k.rfind("x-", 0) == 0) {
      s.extensions[k] = to_json_value(e.value);
      continue;
    }
    auto it = fields().find(k);
    if (it == fields().end()) {
      if (unsupported(k)) return not_supported(e.key, p);
      return fail_at(e.key, p, "unknown key " + quote(k));
    }
    s.marks[k] = to_mark(e.value.pos);
    if (k == "volumes" || k == "depends_on" || k == "networks") {
      // Entries too, so that reference errors point at the very entry: "volumes[1]", "depends_on.db".
      for (size_t i = 0; i < e.value.items.size(); ++i) s.marks[index_path(k, i)] = to_mark(e.value.items[i].pos);
      for (const auto& f : e.value.entries) s.marks[join_path(k, f.key.text)] = to_mark(f.key.pos);
    }
    if (!it->second || e.value.is_null()) continue;
    STACK_TRY(it->second(e.value, p, s, ctx));
  }
  STACK_ASSIGN(s.environment, read_environment(entry.value.find("environment"), entry.value.find("env_file"), path, ctx));
  if (s.image.empty()) return fail_at(entry.key, path, "missing \"image\" (stack does not build images)");
  if (!s.network_mode.empty() && s.network_mode != "bridge" && !s.networks.empty()) {
    return fail_at(entry.key, path, "network_mode and networks cannot be used together");
  }
  if (s.network_mode == "bridge") s.network_mode.clear();
  STACK_TRY(check_bandwidth_mode(entry.value, s, path));
  STACK_TRY(check_userns_mode(entry.value, s, path));
  if (s.network_mode.rfind("service:", 0) == 0) {
    // compose-go normalize: sharing a service's network namespace implies depending on it
    s.depends_on.try_emplace(s.network_mode.substr(8), Dependency{});
  }
  if (s.scale && s.deploy && s.deploy->replicas && *s.scale != *s.deploy->replicas) {
    return fail_at(entry.key, path, "scale and deploy.replicas disagree (" + std::to_string(*s.scale) + " vs " +
                                        std::to_string(*s.deploy->replicas) + ")");
  }
  if (!s.container_name.empty() && s.replicas() > 1) {
    return fail_at(entry.key, path, "container_name " + quote(s.container_name) + " allows a single replica, not " +
                                        std::to_string(s.replicas()));
  }
  if (s.network_mode.empty() && s.networks.empty()) s.networks["default"] = std::nullopt;
  return s;
}

}  // namespace stack::model
