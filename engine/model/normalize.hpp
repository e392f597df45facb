#pragma once
// Internal to the model: from the merged, interpolated YAML tree to typed values.
#include <string>
#include <vector>

#include "engine/model/interpolate.hpp"
#include "engine/model/project.hpp"
#include "engine/model/yaml_tree.hpp"

namespace stack::model {

struct NormalizeContext {
  std::string project_name;
  std::string project_dir;  // absolute; relative paths resolve against it
  Lookup lookup;            // the project environment (.env, then the process environment)
  std::vector<std::string>* warnings = nullptr;
  // Bytes of env_file content left for the whole project: many services reading one big
  // file must not multiply memory without bound.
  size_t* env_file_budget = nullptr;
};

Mark to_mark(const Pos& pos);

Result<Service> normalize_service(const Entry& entry, const NormalizeContext& ctx);

// Per-field readers, one file each group (service_*.cpp).
Result<std::vector<Port>> read_ports(const Node& n, const std::string& path);
Result<std::vector<std::string>> read_expose(const Node& n, const std::string& path);
Result<std::vector<VolumeMount>> read_volumes(const Node& n, const std::string& path,
                                              const NormalizeContext& ctx);
Result<std::vector<std::string>> read_tmpfs(const Node& n, const std::string& path);
Result<std::map<std::string, Dependency>> read_depends_on(const Node& n, const std::string& path);
Result<Healthcheck> read_healthcheck(const Node& n, const std::string& path);
Result<BlkioConfig> read_blkio_config(const Node& n, const std::string& path);  // service_blkio.cpp
Result<Deploy> read_deploy(const Node& n, const std::string& path);
Result<std::map<std::string, Ulimit>> read_ulimits(const Node& n, const std::string& path);
Result<Logging> read_logging(const Node& n, const std::string& path);
Result<std::map<std::string, std::optional<ServiceNetwork>>> read_service_networks(
    const Node& n, const std::string& path);
// x-bandwidth (service_bandwidth.cpp), and its refusal with a network_mode that leaves
// the service no link of its own (host, none, service:X); `service` is its mapping.
Result<Bandwidth> read_bandwidth(const Node& n, const std::string& path);
Result<void> check_bandwidth_mode(const Node& service, const Service& s, const std::string& path);
// userns_mode (service_userns.cpp): the number of ids asked for (0: the host's
// namespace), and its refusal with privileged or a network_mode that shares a namespace
// made outside it (host, service:X).
Result<uint32_t> read_userns_mode(const Node& v, const std::string& path);
Result<void> check_userns_mode(const Node& service, const Service& s, const std::string& path);
Result<std::vector<ExtraHost>> read_extra_hosts(const Node& n, const std::string& path);
Result<std::vector<std::string>> read_command(const Node& n, const std::string& path);
// A cgroup path: relative (below stack's default base) or absolute (from the top), with
// no empty, "." or ".." component (docker's --cgroup-parent; engine/cgroup/parent.hpp).
Result<std::string> read_cgroup_parent(const Node& v, const std::string& path);
// environment and env_file together: env_file entries first, `environment` over them,
// names without a value taken from the project environment.
Result<std::map<std::string, std::optional<std::string>>> read_environment(
    const Node* environment, const Node* env_file, const std::string& path, const NormalizeContext& ctx);
// "./x" and "x" against the project directory, "~/" against $HOME; the result is clean.
std::string resolve_path(const std::string& p, const NormalizeContext& ctx);

// Names the kernel knows (service_checks.cpp): "TERM"/"SIGTERM"/"15", "nofile", "NET_ADMIN"/"CAP_NET_ADMIN".
bool valid_signal(const std::string& name);
bool valid_ulimit(const std::string& name);
bool valid_capability(const std::string& name);

// Top level.
Result<std::map<std::string, Network>> read_networks(const Node* n, const NormalizeContext& ctx);
Result<std::map<std::string, Volume>> read_volumes_top(const Node* n, const NormalizeContext& ctx);
// Names of services, networks and volumes: compose's ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$.
bool valid_resource_name(std::string_view name);
// x-* keys of a mapping, as JSON.
nlohmann::json extensions_of(const Node& n);
nlohmann::json to_json_value(const Node& n);

// References (depends_on, networks, volumes, network_mode) and depends_on cycles.
// A dependency with `required: false` on a service that is not there is dropped.
Result<void> resolve_references(Project& p);

}  // namespace stack::model
