// The Project in the shape of `docker compose config --format json` (compose v2): sizes
// as strings of bytes, durations in Go's spelling, default networks spelled out.
#include "engine/model/bandwidth.hpp"
#include "engine/model/load.hpp"
#include "engine/model/units.hpp"
#include "engine/model/yaml_tree.hpp"

namespace stack::model {
namespace {

using json = nlohmann::json;

json ports_json(const std::vector<Port>& ports) {
  json a = json::array();
  for (const auto& p : ports) {
    json o = {{"mode", p.mode}, {"target", p.target}, {"protocol", p.protocol}};
    if (!p.published.empty()) o["published"] = p.published;
    if (!p.host_ip.empty()) o["host_ip"] = p.host_ip;
    if (!p.name.empty()) o["name"] = p.name;
    if (!p.app_protocol.empty()) o["app_protocol"] = p.app_protocol;
    a.push_back(std::move(o));
  }
  return a;
}

json volumes_json(const std::vector<VolumeMount>& volumes) {
  json a = json::array();
  for (const auto& v : volumes) {
    json o = {{"type", v.type}, {"target", v.target}};
    if (!v.source.empty()) o["source"] = v.source;
    if (v.read_only) o["read_only"] = true;
    if (!v.consistency.empty()) o["consistency"] = v.consistency;
    if (v.type == "bind") {
      json b = json::object();
      if (!v.propagation.empty()) b["propagation"] = v.propagation;
      if (v.create_host_path) b["create_host_path"] = *v.create_host_path;
      if (!v.selinux.empty()) b["selinux"] = v.selinux;
      o["bind"] = b;
    } else if (v.type == "volume") {
      json b = json::object();
      if (v.nocopy) b["nocopy"] = true;
      if (!v.subpath.empty()) b["subpath"] = v.subpath;
      o["volume"] = b;
    } else {
      json b = json::object();
      if (v.tmpfs_size) b["size"] = std::to_string(*v.tmpfs_size);
      if (v.tmpfs_mode) b["mode"] = *v.tmpfs_mode;
      if (!b.empty()) o["tmpfs"] = b;
    }
    a.push_back(std::move(o));
  }
  return a;
}

json healthcheck_json(const Healthcheck& h) {
  json o = json::object();
  if (!h.test.empty()) o["test"] = h.test;
  if (h.interval_ns) o["interval"] = format_duration(*h.interval_ns);
  if (h.timeout_ns) o["timeout"] = format_duration(*h.timeout_ns);
  if (h.start_period_ns) o["start_period"] = format_duration(*h.start_period_ns);
  if (h.start_interval_ns) o["start_interval"] = format_duration(*h.start_interval_ns);
  if (h.retries) o["retries"] = *h.retries;
  if (h.disable) o["disable"] = true;
  return o;
}

json resources_json(const Resources& r) {
  json o = json::object();
  if (r.cpus) o["cpus"] = *r.cpus;
  if (r.memory) o["memory"] = std::to_string(*r.memory);
  if (r.pids) o["pids"] = *r.pids;
  return o;
}

json deploy_json(const Deploy& d) {
  json o = json::object();
  if (!d.mode.empty()) o["mode"] = d.mode;
  if (d.replicas) o["replicas"] = *d.replicas;
  if (!d.labels.empty()) o["labels"] = d.labels;
  if (d.limits || d.reservations) {
    json r = json::object();
    if (d.limits) r["limits"] = resources_json(*d.limits);
    if (d.reservations) r["reservations"] = resources_json(*d.reservations);
    o["resources"] = r;
  }
  if (d.restart_policy) {
    const auto& rp = *d.restart_policy;
    json r = json::object();
    if (!rp.condition.empty()) r["condition"] = rp.condition;
    if (rp.delay_ns) r["delay"] = format_duration(*rp.delay_ns);
    if (rp.max_attempts) r["max_attempts"] = *rp.max_attempts;
    if (rp.window_ns) r["window"] = format_duration(*rp.window_ns);
    o["restart_policy"] = r;
  }
  return o;
}

void put_size(json& o, const char* key, const std::optional<int64_t>& v) {
  if (v) o[key] = std::to_string(*v);
}

void put_string(json& o, const char* key, const std::string& v) {
  if (!v.empty()) o[key] = v;
}

template <typename C>
void put_list(json& o, const char* key, const C& v) {
  if (!v.empty()) o[key] = v;
}

json blkio_json(const BlkioConfig& b) {
  json o = json::object();
  if (b.weight) o["weight"] = *b.weight;
  auto devices = [&](const char* key, const std::vector<BlkioDevice>& list, const char* value_key) {
    if (list.empty()) return;
    json a = json::array();
    for (const auto& d : list) a.push_back({{"path", d.path}, {value_key, d.value}});
    o[key] = a;
  };
  devices("weight_device", b.weight_device, "weight");
  devices("device_read_bps", b.device_read_bps, "rate");
  devices("device_write_bps", b.device_write_bps, "rate");
  devices("device_read_iops", b.device_read_iops, "rate");
  devices("device_write_iops", b.device_write_iops, "rate");
  return o;
}

json runtime_json(const Service& s, json o) {
  put_size(o, "mem_limit", s.mem_limit);
  put_size(o, "memswap_limit", s.memswap_limit);
  put_size(o, "mem_reservation", s.mem_reservation);
  put_size(o, "shm_size", s.shm_size);
  if (s.pids_limit) o["pids_limit"] = *s.pids_limit;
  if (s.cpus) o["cpus"] = *s.cpus;
  if (s.cpu_shares) o["cpu_shares"] = *s.cpu_shares;
  put_string(o, "cpuset", s.cpuset);
  put_string(o, "cgroup_parent", s.cgroup_parent);
  if (s.blkio_config) o["blkio_config"] = blkio_json(*s.blkio_config);
  if (!s.ulimits.empty()) {
    json u = json::object();
    for (const auto& [k, l] : s.ulimits) u[k] = l.single ? json(l.soft) : json{{"soft", l.soft}, {"hard", l.hard}};
    o["ulimits"] = u;
  }
  put_list(o, "sysctls", s.sysctls);
  put_list(o, "cap_add", s.cap_add);
  put_list(o, "cap_drop", s.cap_drop);
  put_list(o, "security_opt", s.security_opt);
  if (s.privileged) o["privileged"] = true;
  if (s.read_only) o["read_only"] = true;
  put_string(o, "userns_mode", s.userns_mode);
  if (s.init) o["init"] = *s.init;
  if (s.tty) o["tty"] = true;
  if (s.stdin_open) o["stdin_open"] = true;
  put_string(o, "stop_signal", s.stop_signal);
  if (s.stop_grace_period_ns) o["stop_grace_period"] = format_duration(*s.stop_grace_period_ns);
  if (s.healthcheck) o["healthcheck"] = healthcheck_json(*s.healthcheck);
  if (s.deploy) o["deploy"] = deploy_json(*s.deploy);
  if (s.logging) {
    json l = json::object();
    put_string(l, "driver", s.logging->driver);
    put_list(l, "options", s.logging->options);
    o["logging"] = l;
  }
  return o;
}

json service_json(const Service& s) {
  json o = json::object();
  o["command"] = s.command ? json(*s.command) : json(nullptr);
  o["entrypoint"] = s.entrypoint ? json(*s.entrypoint) : json(nullptr);
  o["image"] = s.image;
  if (!s.environment.empty()) {
    json env = json::object();
    for (const auto& [k, v] : s.environment) env[k] = v ? json(*v) : json(nullptr);
    o["environment"] = env;
  }
  put_string(o, "working_dir", s.working_dir);
  put_string(o, "user", s.user);
  put_string(o, "hostname", s.hostname);
  put_string(o, "domainname", s.domainname);
  put_string(o, "restart", s.restart);
  put_string(o, "container_name", s.container_name);
  put_string(o, "network_mode", s.network_mode);
  if (!s.ports.empty()) o["ports"] = ports_json(s.ports);
  put_list(o, "expose", s.expose);
  if (!s.volumes.empty()) o["volumes"] = volumes_json(s.volumes);
  put_list(o, "tmpfs", s.tmpfs);
  if (!s.depends_on.empty()) {
    json d = json::object();
    for (const auto& [k, dep] : s.depends_on) {
      d[k] = {{"condition", dep.condition}, {"required", dep.required}};
      if (dep.restart) d[k]["restart"] = true;
    }
    o["depends_on"] = d;
  }
  if (!s.networks.empty()) {
    json n = json::object();
    for (const auto& [k, sn] : s.networks) {
      if (!sn) {
        n[k] = nullptr;
        continue;
      }
      json v = json::object();
      put_list(v, "aliases", sn->aliases);
      put_string(v, "ipv4_address", sn->ipv4_address);
      if (sn->bandwidth) v["x-bandwidth"] = bandwidth_json(*sn->bandwidth);
      if (sn->priority) v["priority"] = sn->priority;
      n[k] = v;
    }
    o["networks"] = n;
  }
  if (!s.extra_hosts.empty()) {
    json h = json::array();
    for (const auto& e : s.extra_hosts) h.push_back(e.host + "=" + e.ip);
    o["extra_hosts"] = h;
  }
  put_list(o, "dns", s.dns);
  put_list(o, "dns_search", s.dns_search);
  put_list(o, "dns_opt", s.dns_opt);
  put_list(o, "labels", s.labels);
  put_list(o, "profiles", s.profiles);
  if (s.scale) o["scale"] = *s.scale;
  if (s.bandwidth) o["x-bandwidth"] = bandwidth_json(*s.bandwidth);
  for (const auto& [k, v] : s.extensions.items()) o[k] = v;
  return runtime_json(s, std::move(o));
}

json network_json(const Network& n) {
  json o = {{"name", n.name}};
  if (n.external) {
    o["external"] = true;
  } else {
    json ipam = json::object();
    put_string(ipam, "driver", n.ipam_driver);
    if (!n.ipam.empty()) {
      json cfg = json::array();
      for (const auto& c : n.ipam) {
        json e = json::object();
        put_string(e, "subnet", c.subnet);
        put_string(e, "gateway", c.gateway);
        put_string(e, "ip_range", c.ip_range);
        put_list(e, "aux_addresses", c.aux_addresses);
        cfg.push_back(e);
      }
      ipam["config"] = cfg;
    }
    o["ipam"] = ipam;
  }
  put_string(o, "driver", n.driver);
  put_list(o, "driver_opts", n.driver_opts);
  if (n.internal) o["internal"] = true;
  if (n.attachable) o["attachable"] = true;
  put_list(o, "labels", n.labels);
  for (const auto& [k, v] : n.extensions.items()) o[k] = v;
  return o;
}

json volume_json(const Volume& v) {
  json o = {{"name", v.name}};
  if (v.external) o["external"] = true;
  put_string(o, "driver", v.driver);
  put_list(o, "driver_opts", v.driver_opts);
  put_list(o, "labels", v.labels);
  for (const auto& [k, x] : v.extensions.items()) o[k] = x;
  return o;
}

std::string fix_utf8(const std::string& in) {
  std::string out;
  std::string_view rest = in;
  for (size_t bad; (bad = invalid_utf8(rest, false)) != std::string_view::npos;) {
    out += rest.substr(0, bad);
    out += "\xef\xbf\xbd";  // U+FFFD, as nlohmann's error_handler_t::replace writes it
    rest = rest.substr(bad + 1);
  }
  out += rest;
  return out;
}

// Values from the environment and env files are bytes, not necessarily UTF-8; JSON must be.
void sanitize(json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (invalid_utf8(s, false) != std::string_view::npos) j = fix_utf8(s);
  } else if (j.is_array()) {
    for (auto& v : j) sanitize(v);
  } else if (j.is_object()) {
    bool bad_key = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
      bad_key = bad_key || invalid_utf8(it.key(), false) != std::string_view::npos;
      sanitize(it.value());
    }
    if (bad_key) {
      json fixed = json::object();
      for (auto& [k, v] : j.items()) fixed[fix_utf8(k)] = std::move(v);
      j = std::move(fixed);
    }
  }
}

}  // namespace

nlohmann::json to_json(const Project& project) {
  json o = json::object();
  o["name"] = project.name;
  json services = json::object();
  for (const auto& [k, s] : project.services) services[k] = service_json(s);
  o["services"] = services;
  if (!project.networks.empty()) {
    json n = json::object();
    for (const auto& [k, net] : project.networks) n[k] = network_json(net);
    o["networks"] = n;
  }
  if (!project.volumes.empty()) {
    json v = json::object();
    for (const auto& [k, vol] : project.volumes) v[k] = volume_json(vol);
    o["volumes"] = v;
  }
  for (const auto& [k, v] : project.extensions.items()) o[k] = v;
  sanitize(o);
  return o;
}

}  // namespace stack::model
