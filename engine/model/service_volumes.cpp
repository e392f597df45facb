// volumes (short "src:dst[:mode]" and long syntax) and tmpfs, as compose-go's
// format.ParseVolume reads them: a source starting with '/', '.' or '~' is a bind mount,
// any other source names a volume, no source makes an anonymous volume.
#include <filesystem>
#include <set>
#include <sstream>

#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

bool is_path(const std::string& s) { return !s.empty() && (s[0] == '/' || s[0] == '.' || s[0] == '~'); }

bool is_propagation(const std::string& m) {
  return m == "shared" || m == "rshared" || m == "slave" || m == "rslave" || m == "private" ||
         m == "rprivate";
}

Result<void> check_target(const Node& n, const std::string& path, const std::string& target) {
  if (target.empty() || target[0] != '/') {
    return fail_at(n, path, "volume target " + quote(target) + " must be an absolute path");
  }
  return {};
}

Result<void> apply_mode(const Node& n, const std::string& path, const std::string& modes,
                        VolumeMount& v) {
  std::stringstream ss(modes);
  std::string m;
  while (std::getline(ss, m, ',')) {
    if (m == "ro") {
      v.read_only = true;
    } else if (m == "rw") {
      v.read_only = false;
    } else if (m == "z" || m == "Z") {
      v.selinux = m;
    } else if (m == "nocopy") {
      v.nocopy = true;
    } else if (is_propagation(m)) {
      v.propagation = m;
    } else if (m == "consistent" || m == "cached" || m == "delegated") {
      v.consistency = m;
    } else {
      return fail_at(n, path, "unknown volume option " + quote(m) + " in " + quote(n.text));
    }
  }
  return {};
}

Result<VolumeMount> short_volume(const Node& n, const std::string& path, const NormalizeContext& ctx) {
  std::vector<std::string> parts;
  std::stringstream ss(n.text);
  std::string part;
  while (std::getline(ss, part, ':')) parts.push_back(part);
  if (parts.empty() || parts.size() > 3) return fail_at(n, path, "invalid volume " + quote(n.text));
  VolumeMount v;
  if (parts.size() == 1) {
    v.target = parts[0];
  } else {
    v.source = parts[0];
    v.target = parts[1];
    if (v.source.empty()) return fail_at(n, path, "empty volume source in " + quote(n.text));
  }
  STACK_TRY(check_target(n, path, v.target));
  if (parts.size() == 3) STACK_TRY(apply_mode(n, path, parts[2], v));
  if (is_path(v.source)) {
    v.type = "bind";
    v.source = resolve_path(v.source, ctx);
    v.create_host_path = true;
    if (v.nocopy) return fail_at(n, path, "nocopy applies to volumes, not bind mounts");
  } else {
    v.type = "volume";
    if (!v.propagation.empty() || !v.selinux.empty()) {
      // compose accepts z/Z and propagation only on bind mounts
      return fail_at(n, path, "bind options on volume " + quote(v.source));
    }
  }
  return v;
}

Result<void> long_bind(const Node& n, const std::string& path, VolumeMount& v) {
  STACK_TRY(check_keys(n, path, {"propagation", "create_host_path", "selinux"}, {"recursive"}));
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (e.key.text == "create_host_path") {
      auto b = read_bool(e.value, kp);
      if (!b) return unexpected(std::move(b).error());
      v.create_host_path = *b;
      continue;
    }
    if (e.key.text.rfind("x-", 0) == 0) continue;
    auto s = read_string(e.value, kp);
    if (!s) return unexpected(std::move(s).error());
    if (e.key.text == "propagation") {
      if (!is_propagation(*s)) return fail_at(e.value, kp, "invalid propagation " + quote(*s));
      v.propagation = *s;
    } else {
      if (*s != "z" && *s != "Z") return fail_at(e.value, kp, "selinux must be z or Z");
      v.selinux = *s;
    }
  }
  return {};
}

Result<void> long_sub(const Node& n, const std::string& path, VolumeMount& v) {
  if (v.type == "volume") {
    STACK_TRY(check_keys(n, path, {"nocopy", "subpath"}, {"labels"}));
    if (const Node* nc = n.find("nocopy")) {
      auto b = read_bool(*nc, join_path(path, "nocopy"));
      if (!b) return unexpected(std::move(b).error());
      v.nocopy = *b;
    }
    if (const Node* sp = n.find("subpath")) {
      auto s = read_string(*sp, join_path(path, "subpath"));
      if (!s) return unexpected(std::move(s).error());
      v.subpath = *s;
    }
    return {};
  }
  STACK_TRY(check_keys(n, path, {"size", "mode"}));
  if (const Node* sz = n.find("size")) {
    auto b = read_size(*sz, join_path(path, "size"));
    if (!b) return unexpected(std::move(b).error());
    v.tmpfs_size = *b;
  }
  if (const Node* md = n.find("mode")) {
    auto m = read_int(*md, join_path(path, "mode"), 0, 07777);
    if (!m) return unexpected(std::move(m).error());
    v.tmpfs_mode = static_cast<uint32_t>(*m);
  }
  return {};
}

Result<VolumeMount> long_volume(const Node& n, const std::string& path, const NormalizeContext& ctx) {
  STACK_TRY(check_keys(n, path, {"type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs"},
                       {"image"}));
  VolumeMount v;
  const Node* type = n.find("type");
  if (!type) return fail_at(n, path, "missing \"type\"");
  auto t = read_string(*type, join_path(path, "type"));
  if (!t) return unexpected(std::move(t).error());
  if (*t == "npipe" || *t == "cluster" || *t == "image") {
    return fail_at(*type, join_path(path, "type"), "volume type " + quote(*t) + " is not supported by stack");
  }
  if (*t != "bind" && *t != "volume" && *t != "tmpfs") {
    return fail_at(*type, join_path(path, "type"), "invalid volume type " + quote(*t));
  }
  v.type = *t;
  for (const auto& e : n.entries) {
    const std::string& k = e.key.text;
    std::string kp = join_path(path, k);
    if (k == "type" || k.rfind("x-", 0) == 0) continue;
    if (k == "read_only") {
      auto b = read_bool(e.value, kp);
      if (!b) return unexpected(std::move(b).error());
      v.read_only = *b;
    } else if (k == "bind" || k == "volume" || k == "tmpfs") {
      if (k != v.type) return fail_at(e.key, kp, quote(k) + " options on a " + v.type + " mount");
      if (k == "bind") {
        STACK_TRY(long_bind(e.value, kp, v));
      } else {
        STACK_TRY(long_sub(e.value, kp, v));
      }
    } else {
      auto s = read_string(e.value, kp);
      if (!s) return unexpected(std::move(s).error());
      if (k == "source") v.source = *s;
      if (k == "target") v.target = *s;
      if (k == "consistency") v.consistency = *s;
    }
  }
  STACK_TRY(check_target(n, path, v.target));
  if (v.type == "bind") {
    if (v.source.empty()) return fail_at(n, path, "a bind mount needs a source");
    v.source = resolve_path(v.source, ctx);
    if (!v.create_host_path) v.create_host_path = true;
  } else if (v.type == "tmpfs" && !v.source.empty()) {
    return fail_at(n, path, "a tmpfs mount takes no source");
  }
  return v;
}

}  // namespace

std::string resolve_path(const std::string& p, const NormalizeContext& ctx) {
  std::filesystem::path out;
  if (p == "~" || p.rfind("~/", 0) == 0) {
    auto home = ctx.lookup ? ctx.lookup("HOME") : std::nullopt;
    out = std::filesystem::path(home.value_or("/root")) / p.substr(p.size() > 1 ? 2 : 1);
  } else if (!p.empty() && p[0] == '/') {
    out = p;
  } else {
    out = std::filesystem::path(ctx.project_dir) / p;
  }
  std::string s = out.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

Result<std::vector<VolumeMount>> read_volumes(const Node& n, const std::string& path,
                                              const NormalizeContext& ctx) {
  if (!n.is_seq()) return fail_at(n, path, std::string("expected a list of volumes, got ") + n.kind_name());
  std::vector<VolumeMount> out;
  std::set<std::string> targets;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    std::string p = index_path(path, i);
    Result<VolumeMount> v = item.is_scalar() ? short_volume(item, p, ctx)
                            : item.is_map()  ? long_volume(item, p, ctx)
                                             : Result<VolumeMount>(fail_at(item, p, "expected a volume"));
    if (!v) return unexpected(std::move(v).error());
    if (!targets.insert(v->target).second) return fail_at(item, p, "duplicate mount target " + quote(v->target));
    out.push_back(std::move(*v));
  }
  return out;
}

Result<std::vector<std::string>> read_tmpfs(const Node& n, const std::string& path) {
  auto list = read_string_or_list(n, path);
  if (!list) return unexpected(std::move(list).error());
  for (const auto& t : *list) {
    if (t.empty() || t[0] != '/') return fail_at(n, path, "tmpfs target " + quote(t) + " must be an absolute path");
  }
  return list;
}

}  // namespace stack::model
