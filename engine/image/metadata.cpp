#include "engine/image/metadata.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "engine/base/file.hpp"

namespace stack::image {
namespace {

using nlohmann::json;

json config_to_json(const ImageConfig& c) {
  return json{{"Env", c.env},         {"Entrypoint", c.entrypoint}, {"Cmd", c.cmd},
              {"WorkingDir", c.working_dir}, {"User", c.user},  {"ExposedPorts", c.exposed_ports}};
}

ImageConfig config_from_json(const json& j) {
  ImageConfig c;
  c.env = j.value("Env", std::vector<std::string>{});
  c.entrypoint = j.value("Entrypoint", std::vector<std::string>{});
  c.cmd = j.value("Cmd", std::vector<std::string>{});
  c.working_dir = j.value("WorkingDir", std::string{});
  c.user = j.value("User", std::string{});
  c.exposed_ports = j.value("ExposedPorts", std::vector<std::string>{});
  return c;
}

}  // namespace

bool remove_tag(Repositories& repos, const std::string& key) {
  auto it = repos.tags.find(key);
  if (it == repos.tags.end()) return false;
  std::string id = it->second;
  repos.tags.erase(it);
  for (const auto& [k, v] : repos.tags)
    if (v == id) return true;
  repos.images.erase(id);
  return true;
}

void set_tag(Repositories& repos, const std::string& key, const std::string& id, ImageRecord rec) {
  auto it = repos.tags.find(key);
  if (it != repos.tags.end() && it->second != id) remove_tag(repos, key);
  repos.tags[key] = id;
  repos.images[id] = std::move(rec);
}

Image to_image(const std::string& images_dir, const std::string& name, const std::string& tag,
               const std::string& id, const ImageRecord& rec) {
  Image img;
  img.name = name;
  img.tag = tag;
  img.id = id;
  for (const auto& l : rec.layers) img.layers.push_back(images_dir + "/layers/" + l);
  img.config = rec.config;
  img.size = rec.size;
  img.created = rec.created;
  return img;
}

Result<Repositories> parse_repositories(std::string_view text) {
  try {
    json j = json::parse(text);
    Repositories r;
    r.tags = j.at("tags").get<std::map<std::string, std::string>>();
    for (const auto& [id, rec] : j.at("images").items()) {
      ImageRecord ir;
      ir.layers = rec.at("layers").get<std::vector<std::string>>();
      ir.config = config_from_json(rec.value("config", json::object()));
      ir.created = rec.value("created", std::string{});
      ir.size = rec.value("size", int64_t{0});
      r.images.emplace(id, std::move(ir));
    }
    return r;
  } catch (const json::exception& e) {
    return fail(std::string("invalid repositories.json: ") + e.what());
  }
}

std::string dump_repositories(const Repositories& repos) {
  json images = json::object();
  for (const auto& [id, rec] : repos.images)
    images[id] = json{{"layers", rec.layers}, {"config", config_to_json(rec.config)},
                      {"created", rec.created}, {"size", rec.size}};
  json j{{"version", 1}, {"tags", repos.tags}, {"images", images}};
  return j.dump(2) + "\n";
}

Result<Repositories> read_repositories(const std::string& images_dir) {
  std::string path = images_dir + "/repositories.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().code == ENOENT) return Repositories{};
    return unexpected(std::move(text).error());
  }
  auto r = parse_repositories(*text);
  if (!r) return unexpected(r.error().wrap(path));
  return r;
}

Result<void> write_repositories(const std::string& images_dir, const Repositories& repos) {
  return write_file_atomic(images_dir + "/repositories.json", dump_repositories(repos));
}

Result<UniqueFd> lock_file(const std::string& path, bool exclusive) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("failed to open lock file '" + path + "'");
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return fail_errno("failed to flock '" + path + "'");
  }
  return fd;
}

}  // namespace stack::image
