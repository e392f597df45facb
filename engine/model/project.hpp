#pragma once
// The typed, immutable result of loading stack files (design.md "Flow of one up", step 1).
// Everything is already normalised to compose's long form: ports expanded, volumes as
// {type, source, target}, env_file merged into environment, sizes in bytes, durations in
// nanoseconds, command/entrypoint as argv lists, services of inactive profiles left out.
// Positions (Mark) are kept so that later steps (plan, runtime) can still say
// "stack.yaml:14:9: services.web.mem_limit: ...".
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stack::model {

// A place in a stack file; line and col are 1-based (0: not from a file, e.g. a default).
struct Mark {
  std::string file;
  int line = 0;
  int col = 0;
  // "file:line:col", or "" for a default that no file wrote.
  std::string str() const;
};

struct Port {
  uint32_t target = 0;        // container port
  std::string published;      // host port or range "8000-8005"; "" = ephemeral
  std::string host_ip;        // "" = all addresses
  std::string protocol = "tcp";
  std::string mode = "ingress";
  std::string name;
  std::string app_protocol;
};

struct VolumeMount {
  std::string type;    // "bind", "volume" or "tmpfs"
  std::string source;  // bind: absolute host path; volume: volume key ("" = anonymous)
  std::string target;  // absolute path in the container
  bool read_only = false;
  std::string consistency;
  // bind
  std::optional<bool> create_host_path;
  std::string propagation;
  std::string selinux;  // "z" or "Z"
  // volume
  bool nocopy = false;
  std::string subpath;
  // tmpfs
  std::optional<int64_t> tmpfs_size;  // bytes
  std::optional<uint32_t> tmpfs_mode;
};

struct Dependency {
  std::string condition = "service_started";  // service_healthy, service_completed_successfully
  bool required = true;
  bool restart = false;
};

struct Healthcheck {
  std::vector<std::string> test;  // ["CMD", ...], ["CMD-SHELL", "cmd"], ["NONE"]; empty: image's
  std::optional<int64_t> interval_ns, timeout_ns, start_period_ns, start_interval_ns;
  std::optional<uint64_t> retries;
  bool disable = false;
};

struct Resources {
  std::optional<double> cpus;
  std::optional<int64_t> memory;  // bytes
  std::optional<int64_t> pids;
};

// blkio_config: a device is a host path (a block device, resolved to major:minor at up).
struct BlkioDevice {
  std::string path;
  int64_t value = 0;  // a weight 10..1000, bytes per second, or operations per second
};
struct BlkioConfig {
  std::optional<int64_t> weight;  // 10..1000
  std::vector<BlkioDevice> weight_device, device_read_bps, device_write_bps, device_read_iops, device_write_iops;
};

struct RestartPolicy {
  std::string condition;  // "none", "on-failure", "any"; "" = not written
  std::optional<int64_t> delay_ns;
  std::optional<uint64_t> max_attempts;
  std::optional<int64_t> window_ns;
};

struct Deploy {
  std::string mode;  // "" or "replicated"
  std::optional<uint64_t> replicas;
  std::optional<Resources> limits, reservations;
  std::optional<RestartPolicy> restart_policy;
  std::map<std::string, std::string> labels;
};

struct Ulimit {
  int64_t soft = 0;
  int64_t hard = 0;
  bool single = false;  // written as one number (soft == hard)
};

// x-bandwidth (engine/model/bandwidth.hpp): limits of a container's link, the
// container's directions (egress = out of it). Empty (no rate) means no limit.
struct Bandwidth {
  std::optional<uint64_t> egress_bps, ingress_bps;  // bits per second
  std::optional<uint32_t> burst_bytes;              // bytes; from the rate if unset
  bool empty() const { return !egress_bps && !ingress_bps; }
  friend bool operator==(const Bandwidth&, const Bandwidth&) = default;
};

struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::optional<Bandwidth> bandwidth;  // x-bandwidth: on this network, instead of the service's
  int64_t priority = 0;  // higher first: eth0 is the network of the highest priority
};

struct Logging {
  std::string driver;  // "" (default: json-file), "json-file", "none"
  std::map<std::string, std::string> options;  // max-size, max-file
};

struct ExtraHost {
  std::string host;
  std::string ip;
};

// userns_mode "auto": as many ids as podman's auto mode maps at most (uid_map: 0..65535).
constexpr uint32_t kDefaultUsernsSize = 65536;
constexpr uint32_t kMaxUsernsSize = 1u << 24;

struct Service {
  std::string name;
  Mark mark;                          // where the service's key is
  // Field key -> where its value is (the last file that set it); also per entry for
  // volumes ("volumes[1]"), depends_on ("depends_on.db") and networks ("networks.front").
  std::map<std::string, Mark> marks;

  std::string image;
  std::optional<std::vector<std::string>> command;     // nullopt: the image's
  std::optional<std::vector<std::string>> entrypoint;  // nullopt: the image's
  // Resolved: env_file entries, then `environment`; a value of nullopt is a variable
  // named without a value that is unset everywhere (compose prints it as null).
  std::map<std::string, std::optional<std::string>> environment;
  std::string working_dir, user, hostname, domainname;
  std::vector<Port> ports;
  std::vector<std::string> expose;
  std::vector<VolumeMount> volumes;
  std::vector<std::string> tmpfs;
  std::map<std::string, Dependency> depends_on;
  std::optional<Healthcheck> healthcheck;
  std::string restart;  // "", "no", "always", "on-failure[:N]", "unless-stopped"
  std::optional<Deploy> deploy;
  std::optional<int64_t> mem_limit, memswap_limit, mem_reservation, shm_size;  // bytes
  std::optional<int64_t> pids_limit;
  std::optional<double> cpus;
  std::optional<int64_t> cpu_shares;
  std::string cpuset;
  std::string cgroup_parent;  // as written; "" = stack's default (engine/cgroup/parent.hpp)
  std::optional<BlkioConfig> blkio_config;
  std::map<std::string, Ulimit> ulimits;
  std::map<std::string, std::string> sysctls;
  std::vector<std::string> cap_add, cap_drop, security_opt;
  bool privileged = false;
  bool read_only = false;
  // userns_mode as written ("", "host", "auto", "auto:size=N"), and the number of ids it
  // asks for: 0 is the host's user namespace, else a private one with that many ids
  // mapped from 0 onto a range leased at start (service_userns.cpp).
  std::string userns_mode;
  uint32_t userns_size = 0;
  std::optional<bool> init;
  std::string stop_signal;
  std::optional<int64_t> stop_grace_period_ns;
  std::vector<std::string> profiles;
  // Empty with network_mode "": attached to nothing (cannot happen after load: the
  // loader attaches "default"). A value nullopt is a plain attachment without options.
  std::map<std::string, std::optional<ServiceNetwork>> networks;
  std::string network_mode;  // "", "none", "host", "service:<name>"
  std::vector<ExtraHost> extra_hosts;
  std::vector<std::string> dns, dns_search, dns_opt;
  std::map<std::string, std::string> labels;
  std::optional<Logging> logging;
  bool tty = false;
  bool stdin_open = false;
  std::string container_name;
  std::optional<uint64_t> scale;
  std::optional<Bandwidth> bandwidth;  // x-bandwidth, on every network unless one says otherwise
  // The service's other `x-*` keys as written (after interpolation).
  nlohmann::json extensions = nlohmann::json::object();

  // How many containers: scale, else deploy.replicas, else 1.
  uint64_t replicas() const;
  const Mark* mark_of(const std::string& field) const;
};

struct IpamConfig {
  std::string subnet, gateway, ip_range;
  std::map<std::string, std::string> aux_addresses;
};

struct Network {
  std::string name;  // the name on the host: "<project>_<key>", or `name:`, or external's
  bool external = false;
  std::string driver;  // "" or "bridge"
  std::map<std::string, std::string> driver_opts;
  std::string ipam_driver;
  std::vector<IpamConfig> ipam;
  bool internal = false;
  bool attachable = false;
  std::map<std::string, std::string> labels;
  nlohmann::json extensions = nlohmann::json::object();
  Mark mark;
};

struct Volume {
  std::string name;  // "<project>_<key>", or `name:`, or external's
  bool external = false;
  std::string driver;  // "" or "local"
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;
  nlohmann::json extensions = nlohmann::json::object();
  Mark mark;
};

struct Project {
  std::string name;
  std::string working_dir;         // the project directory (absolute)
  std::vector<std::string> files;  // the stack files read, in order (absolute, or doc names)
  std::map<std::string, Service> services;  // active services only
  std::map<std::string, Network> networks;
  std::map<std::string, Volume> volumes;
  nlohmann::json extensions = nlohmann::json::object();  // top-level x-* keys
  std::set<std::string> all_profiles;       // every profile any service names
  std::vector<std::string> disabled_services;  // left out by profiles
  std::vector<std::string> warnings;        // for the CLI to print (e.g. `version` is obsolete)

  const Service* service(const std::string& name) const;
  // Service names ordered so that every service comes after what it depends on.
  std::vector<std::string> start_order() const;
};

}  // namespace stack::model
