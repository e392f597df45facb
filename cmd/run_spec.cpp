#include "cmd/run_spec.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <filesystem>

#include "engine/base/file.hpp"
#include "engine/runtime/caps.hpp"
#include "engine/runtime/defaults.hpp"
#include "engine/runtime/userns.hpp"
#include "engine/runtime/userns_pool.hpp"

namespace stack::cli {
namespace {

namespace rt = engine::runtime;

// Later entries replace earlier ones with the same key, order of first appearance kept.
void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('='));
  for (auto& e : env)
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  env.push_back(kv);
}

std::vector<std::string> command_line(const model::Service& s, const image::Image& img, const RunOverrides& o) {
  // Docker's rule: an entrypoint given by the service or the CLI drops the image's CMD.
  std::vector<std::string> entry = img.config.entrypoint, cmd = img.config.cmd;
  if (o.entrypoint) {
    entry = *o.entrypoint;
    cmd.clear();
  } else if (s.entrypoint) {
    entry = *s.entrypoint;
    cmd.clear();
  }
  if (s.command) cmd = *s.command;
  if (!o.command.empty()) cmd = o.command;
  entry.insert(entry.end(), cmd.begin(), cmd.end());
  return entry;
}

Result<int> rlimit_resource(const std::string& name) {
  static const std::map<std::string, int> kNames = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},
      {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
      {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},       {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}, {"as", RLIMIT_AS}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return fail("ulimits: unknown limit '" + name + "'");
  return it->second;
}

Result<void> apply_security(rt::Spec& spec, const model::Service& s) {
  uint64_t caps = s.privileged ? rt::all_caps_mask() : rt::kDockerDefaultCaps;
  auto adjusted = rt::adjust_caps(caps, s.cap_add, s.cap_drop);
  if (!adjusted) return unexpected(adjusted.error().wrap("service " + s.name));
  spec.process.capabilities = rt::caps_from_mask(*adjusted);
  if (s.privileged) {  // Docker: no seccomp, no masked or read-only paths
    spec.seccomp.reset();
    spec.masked_paths.clear();
    spec.readonly_paths.clear();
  }
  for (const auto& opt : s.security_opt) {
    if (opt == "no-new-privileges" || opt == "no-new-privileges:true" || opt == "no-new-privileges=true")
      spec.process.no_new_privileges = true;
    else if (opt == "no-new-privileges:false" || opt == "no-new-privileges=false")
      spec.process.no_new_privileges = false;
    else if (opt == "seccomp=unconfined" || opt == "seccomp:unconfined")
      spec.seccomp.reset();
    else
      return fail("service " + s.name + ": security_opt '" + opt + "' is not supported");
  }
  return {};
}

// Owners as the container's user namespace maps them (none: as they are). Bind mounts
// are not idmapped, so a volume made for such a container is owned by the mapped ids,
// as Docker's userns-remap does: its root writes there as the range's first id.
struct IdShift {
  const rt::Spec& spec;
  uid_t uid(uid_t id) const { return rt::host_id(spec.uid_mappings, id).value_or(id); }
  gid_t gid(gid_t id) const { return rt::host_id(spec.gid_mappings, id).value_or(id); }
};

// A named volume: <root>/volumes/<name>, seeded on first use from the image's content at
// the target (Docker's copy-up), taken from the topmost layer that has it.
// cp -a of a directory tree: content, owners, modes and symlinks (no following).
Result<void> copy_tree(const std::string& from, const std::string& to, const IdShift& ids) {
  struct stat st {};
  if (::lstat(from.c_str(), &st) != 0) return fail_errno("lstat " + from);
  if (S_ISDIR(st.st_mode)) {
    if (::mkdir(to.c_str(), 0700) != 0) return fail_errno("mkdir " + to);
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(from, ec))
      STACK_TRY(copy_tree(e.path().string(), to + "/" + e.path().filename().string(), ids));
    if (ec) return fail("reading " + from + ": " + ec.message());
  } else if (S_ISLNK(st.st_mode)) {
    std::string link(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlink(from.c_str(), link.data(), link.size());
    if (n < 0) return fail_errno("readlink " + from);
    link.resize(static_cast<size_t>(n));
    if (::symlink(link.c_str(), to.c_str()) != 0) return fail_errno("symlink " + to);
  } else if (S_ISREG(st.st_mode)) {
    std::error_code ec;
    if (!std::filesystem::copy_file(from, to, ec)) return fail("copying " + from + ": " + ec.message());
  } else {
    return {};  // devices, fifos, sockets and whiteouts are not volume content
  }
  if (::lchown(to.c_str(), ids.uid(st.st_uid), ids.gid(st.st_gid)) != 0) return fail_errno("chown " + to);
  if (!S_ISLNK(st.st_mode) && ::chmod(to.c_str(), st.st_mode & 07777) != 0) return fail_errno("chmod " + to);
  return {};
}

Result<std::string> named_volume(const std::string& root, const std::string& name, const image::Image& img,
                                 const std::string& target, const IdShift& ids) {
  std::string dir = root + "/volumes/" + name;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) return dir;
  STACK_TRY(make_dirs(root + "/volumes", 0700));
  // Seed a new volume from the image's content at the target (Docker does so on first
  // use), owners and modes included, in a temp dir renamed into place: a failed seed
  // never leaves a half-filled volume that later runs would take as seeded.
  std::string tmp = dir + ".seeding." + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::string src;
  for (auto it = img.layers.rbegin(); it != img.layers.rend() && src.empty(); ++it) {
    struct stat s {};
    if (::stat((*it + target).c_str(), &s) == 0 && S_ISDIR(s.st_mode)) src = *it + target;
  }
  Result<void> seeded;
  if (!src.empty()) seeded = copy_tree(src, tmp, ids);
  else if (::mkdir(tmp.c_str(), 0755) != 0 || ::chown(tmp.c_str(), ids.uid(0), ids.gid(0)) != 0)
    seeded = fail_errno("making " + tmp);
  if (seeded && ::rename(tmp.c_str(), dir.c_str()) != 0) seeded = fail_errno("renaming " + tmp + " to " + dir);
  if (!seeded) {
    std::filesystem::remove_all(tmp, ec);
    return unexpected(seeded.error().wrap("seeding volume " + name + " from the image's " + target));
  }
  return dir;
}

Result<void> add_volumes(ServiceSpec& out, const model::Project& p, const model::Service& s, const image::Image& img,
                         const std::string& root, const std::string& id) {
  int anon = 0;
  for (const auto& v : s.volumes) {
    std::vector<std::string> ro;
    if (v.read_only) ro.push_back("ro");
    if (v.type == "bind") {
      std::vector<std::string> opts = {"rbind"};
      opts.insert(opts.end(), ro.begin(), ro.end());
      out.spec.mounts.push_back({v.target, "bind", v.source, opts});
    } else if (v.type == "tmpfs") {
      std::vector<std::string> opts = {"nosuid", "nodev"};
      if (v.tmpfs_size) opts.push_back("size=" + std::to_string(*v.tmpfs_size));
      if (v.tmpfs_mode) {
        char mode[16];
        std::snprintf(mode, sizeof mode, "mode=%o", *v.tmpfs_mode);  // tmpfs(5) reads mode= in octal
        opts.push_back(mode);
      }
      out.spec.mounts.push_back({v.target, "tmpfs", "tmpfs", opts});
    } else if (v.type == "volume") {
      std::string name;
      if (v.source.empty()) {
        name = "anon-" + id + "-" + std::to_string(++anon);
        out.anonymous_volumes.push_back(root + "/volumes/" + name);
      } else {
        auto it = p.volumes.find(v.source);
        name = it != p.volumes.end() ? it->second.name : p.name + "_" + v.source;
      }
      auto dir = named_volume(root, name, img, v.target, IdShift{out.spec});
      if (!dir) return unexpected(dir.error());
      std::vector<std::string> opts = {"rbind"};
      opts.insert(opts.end(), ro.begin(), ro.end());
      out.spec.mounts.push_back({v.target, "bind", *dir, opts});
    } else {
      return fail("service " + s.name + ": volume type '" + v.type + "' is not supported");
    }
  }
  for (const auto& t : s.tmpfs) {
    std::string target = t.substr(0, t.find(':'));
    std::vector<std::string> opts = {"nosuid", "nodev", "noexec"};
    if (t.find(':') != std::string::npos) {
      std::string rest = t.substr(t.find(':') + 1);
      for (size_t a = 0, b; a <= rest.size(); a = b + 1) {
        b = rest.find(',', a);
        if (b == std::string::npos) b = rest.size();
        if (b > a) opts.push_back(rest.substr(a, b - a));
      }
    }
    out.spec.mounts.push_back({target, "tmpfs", "tmpfs", opts});
  }
  return {};
}

// userns_mode auto: a user namespace mapped onto the range leased to this container (the
// one it holds already after a restart), journaled first when there is a journal.
Result<void> lease_userns(rt::Spec& spec, const model::Service& s, const std::string& root, const std::string& id,
                          state::Journal* journal) {
  if (!s.userns_size) return {};
  auto pool = rt::host_range_pool();
  if (!pool) return unexpected(pool.error().wrap("service " + s.name + ": userns_mode"));
  rt::UsernsPool ranges(root, std::move(*pool));
  if (journal) {
    auto held = ranges.held(id);
    if (!held) return unexpected(held.error());
    if (!*held) STACK_TRY(journal->add("userns", {{"dir", rt::UsernsPool::dir_of(root)}, {"owner", id}}));
  }
  auto lease = ranges.lease(id, s.userns_size);
  if (!lease) return unexpected(lease.error().wrap("service " + s.name + ": userns_mode " + s.userns_mode));
  rt::set_id_maps(spec, *lease);
  return {};
}

}  // namespace

Result<ServiceSpec> service_spec(const model::Project& project, const model::Service& s, const image::Image& img,
                                 const RunOverrides& o, const std::string& state_root, const std::string& id,
                                 state::Journal* journal) {
  ServiceSpec out;
  // A container name that is a valid host name (hello-web-1) is the default hostname (a
  // one-off run gives its own); else the name's last 12 characters.
  bool name_ok = !id.empty() && id.size() <= 63 && id.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == std::string::npos;
  std::string hostname = !s.hostname.empty() ? s.hostname
                         : !o.hostname.empty() ? o.hostname
                         : name_ok || id.size() <= 12 ? id
                                                      : id.substr(id.size() - 12);
  out.spec = rt::default_spec(command_line(s, img, o), img.layers, hostname);
  out.spec.image = img.ref();
  auto& p = out.spec.process;
  for (const auto& e : img.config.env) set_env(p.env, e);
  for (const auto& [k, v] : s.environment)
    if (v) set_env(p.env, k + "=" + *v);
  for (const auto& e : o.env) set_env(p.env, e);
  p.cwd = !o.working_dir.empty() ? o.working_dir : !s.working_dir.empty() ? s.working_dir
                                             : !img.config.working_dir.empty() ? img.config.working_dir : "/";
  p.user_name = !o.user.empty() ? o.user : !s.user.empty() ? s.user : img.config.user;
  STACK_TRY(apply_security(out.spec, s));
  out.spec.root.readonly = s.read_only;
  out.spec.init = s.init.value_or(false);
  out.spec.sysctls = s.sysctls;
  for (const auto& [name, u] : s.ulimits) {
    auto r = rlimit_resource(name);
    if (!r) return unexpected(r.error());
    p.rlimits.push_back({*r, static_cast<uint64_t>(u.soft), static_cast<uint64_t>(u.hard)});
  }
  if (s.shm_size)
    for (auto& m : out.spec.mounts)
      if (m.destination == "/dev/shm")
        for (auto& opt : m.options)
          if (opt.rfind("size=", 0) == 0) opt = "size=" + std::to_string(*s.shm_size);
  if (s.network_mode == "host")
    std::erase_if(out.spec.namespaces, [](const rt::Namespace& n) { return n.type == rt::NamespaceType::kNet; });
  std::string extra;
  for (const auto& h : s.extra_hosts)  // host-gateway depends on the network (up_netmode.cpp)
    if (h.ip != "host-gateway") extra += h.ip + "\t" + h.host + "\n";
  out.spec.etc.hosts += extra;
  for (const auto& d : s.dns) out.spec.etc.resolv_conf += "nameserver " + d + "\n";
  if (s.network_mode == "host" && s.dns.empty()) {
    auto host = read_file("/etc/resolv.conf");
    if (host) out.spec.etc.resolv_conf = *host;
  }
  STACK_TRY(lease_userns(out.spec, s, state_root, id, journal));
  STACK_TRY(add_volumes(out, project, s, img, state_root, id));
  return out;
}

}  // namespace stack::cli
