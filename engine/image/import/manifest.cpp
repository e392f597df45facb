#include "engine/image/import/manifest.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace stack::image {
namespace {

using nlohmann::json;

Result<json> parse_json(std::string_view text, std::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return fail("invalid " + std::string(what) + ": " + e.what());
  }
}

Result<Descriptor> descriptor(const json& j, std::string_view what) {
  if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string())
    return fail(std::string(what) + ": descriptor without a digest");
  Descriptor d;
  d.digest = j["digest"].get<std::string>();
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"].get<std::string>();
  if (!valid_sha256_digest(d.digest))
    return fail(std::string(what) + ": digest '" + d.digest + "' is not sha256:<64 hex>");
  return d;
}

// A JSON array of strings, or empty for null/absent; anything else is an error.
Result<std::vector<std::string>> strings(const json& parent, const char* key, std::string_view what) {
  std::vector<std::string> out;
  if (!parent.contains(key) || parent[key].is_null()) return out;
  const json& a = parent[key];
  if (!a.is_array()) return fail(std::string(what) + ": " + key + " is not an array");
  for (const auto& s : a) {
    if (!s.is_string()) return fail(std::string(what) + ": " + key + " has a non-string element");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string string_or_empty(const json& parent, const char* key) {
  if (parent.is_object() && parent.contains(key) && parent[key].is_string()) return parent[key].get<std::string>();
  return {};
}

}  // namespace

bool valid_sha256_digest(std::string_view d) {
  if (d.size() != 7 + 64 || d.substr(0, 7) != "sha256:") return false;
  return std::all_of(d.begin() + 7, d.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string blob_path(const Descriptor& d) { return "blobs/sha256/" + d.digest.substr(7); }

Result<Descriptor> parse_oci_index(std::string_view text, std::string_view arch) {
  auto j = parse_json(text, "OCI index.json");
  if (!j) return unexpected(std::move(j).error());
  if (!j->is_object() || !(*j).contains("manifests") || !(*j)["manifests"].is_array() || (*j)["manifests"].empty())
    return fail("OCI index.json lists no manifests");
  const json& ms = (*j)["manifests"];
  const json* pick = &ms[0];
  if (ms.size() > 1) {
    for (const auto& m : ms) {
      const json& p = m.contains("platform") ? m["platform"] : json::object();
      if (string_or_empty(p, "os") == "linux" && string_or_empty(p, "architecture") == arch) {
        pick = &m;
        break;
      }
    }
  }
  return descriptor(*pick, "OCI index.json");
}

Result<OciManifest> parse_oci_manifest(std::string_view text) {
  auto j = parse_json(text, "OCI manifest");
  if (!j) return unexpected(std::move(j).error());
  if (!j->is_object() || !(*j).contains("config")) return fail("OCI manifest has no config");
  OciManifest m;
  auto c = descriptor((*j)["config"], "OCI manifest config");
  if (!c) return unexpected(std::move(c).error());
  m.config = *c;
  if (!(*j).contains("layers") || !(*j)["layers"].is_array()) return fail("OCI manifest has no layers array");
  for (const auto& l : (*j)["layers"]) {
    auto d = descriptor(l, "OCI manifest layer");
    if (!d) return unexpected(std::move(d).error());
    m.layers.push_back(*d);
  }
  return m;
}

Result<DockerManifest> parse_docker_manifest(std::string_view text) {
  auto j = parse_json(text, "docker manifest.json");
  if (!j) return unexpected(std::move(j).error());
  if (!j->is_array() || j->empty() || !(*j)[0].is_object()) return fail("docker manifest.json lists no image");
  const json& first = (*j)[0];
  DockerManifest m;
  m.config = string_or_empty(first, "Config");
  if (m.config.empty()) return fail("docker manifest.json: image has no Config");
  auto layers = strings(first, "Layers", "docker manifest.json");
  if (!layers) return unexpected(std::move(layers).error());
  m.layers = std::move(*layers);
  auto tags = strings(first, "RepoTags", "docker manifest.json");
  if (!tags) return unexpected(std::move(tags).error());
  m.repo_tags = std::move(*tags);
  return m;
}

Result<ParsedConfig> parse_image_config(std::string_view text) {
  auto j = parse_json(text, "image config");
  if (!j) return unexpected(std::move(j).error());
  if (!j->is_object()) return fail("image config is not a JSON object");
  ParsedConfig out;
  out.created = string_or_empty(*j, "created");
  if ((*j).contains("rootfs") && (*j)["rootfs"].is_object()) {
    auto ids = strings((*j)["rootfs"], "diff_ids", "image config rootfs");
    if (!ids) return unexpected(std::move(ids).error());
    for (const auto& id : *ids)
      if (!valid_sha256_digest(id)) return fail("image config: diff_id '" + id + "' is not sha256:<64 hex>");
    out.diff_ids = std::move(*ids);
  }
  if (!(*j).contains("config") || !(*j)["config"].is_object()) return out;
  const json& c = (*j)["config"];
  ImageConfig& ic = out.config;
  for (auto [key, dst] : {std::pair{"Env", &ic.env}, {"Entrypoint", &ic.entrypoint}, {"Cmd", &ic.cmd}}) {
    auto v = strings(c, key, "image config");
    if (!v) return unexpected(std::move(v).error());
    *dst = std::move(*v);
  }
  ic.working_dir = string_or_empty(c, "WorkingDir");
  ic.user = string_or_empty(c, "User");
  if (c.contains("ExposedPorts") && c["ExposedPorts"].is_object())
    for (auto it = c["ExposedPorts"].begin(); it != c["ExposedPorts"].end(); ++it) ic.exposed_ports.push_back(it.key());
  std::sort(ic.exposed_ports.begin(), ic.exposed_ports.end());
  return out;
}

std::string host_arch() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "amd64";
  if (m == "aarch64") return "arm64";
  if (m == "i686" || m == "i386") return "386";
  if (m.rfind("armv", 0) == 0) return "arm";
  return m;
}

}  // namespace stack::image
