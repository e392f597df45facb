// ImageStore: resolve, list and remove over repositories.json and the layer dirs.
// import() lives in import.cpp.
#include "engine/image/store.hpp"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "engine/base/file.hpp"
#include "engine/base/log.hpp"
#include "engine/image/metadata.hpp"
#include "engine/image/tree.hpp"

namespace stack::image {
namespace {

// "name:tag" keys split at the last ':' (a registry port sits before a '/').
std::pair<std::string, std::string> split_key(const std::string& key) {
  auto c = key.rfind(':');
  return {key.substr(0, c), key.substr(c + 1)};
}

std::string not_found(const std::string& ref, const std::string& root) {
  return "image " + ref + " not found in " + root + "; import it with: stack image import " + ref + " PATH";
}

// The tags a reference names: "name:tag" itself, or for "name@sha256:..." every tag of
// that name on that image id.
std::vector<std::string> matching_tags(const Repositories& repos, const Reference& r) {
  std::vector<std::string> out;
  if (r.digest.empty()) {
    if (repos.tags.count(r.name + ":" + r.tag)) out.push_back(r.name + ":" + r.tag);
    return out;
  }
  for (const auto& [key, id] : repos.tags) {
    auto [name, tag] = split_key(key);
    if (name == r.name && id == r.digest && (r.tag.empty() || tag == r.tag)) out.push_back(key);
  }
  return out;
}

}  // namespace

std::string Image::overlay_lowerdir() const {
  std::string out;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (!out.empty()) out += ':';
    out += *it;
  }
  return out;
}

Result<ImageStore> ImageStore::open(std::string root) {
  if (root.empty()) return fail("image store root is empty");
  // Layer paths go into overlay mount options: they must not depend on the cwd.
  std::error_code ec;
  std::string abs = std::filesystem::absolute(root, ec).lexically_normal().string();
  if (ec) return fail_errno(ec.value(), "failed to make '" + root + "' absolute");
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  return ImageStore(std::move(abs));
}

Result<Catalog> ImageStore::catalog() const {
  auto repos = read_repositories(images_dir());
  if (!repos) return unexpected(std::move(repos).error());
  return Catalog(root_, std::make_shared<const Repositories>(std::move(*repos)));
}

Result<Image> ImageStore::resolve(std::string_view ref) const {
  auto c = catalog();
  if (!c) return unexpected(std::move(c).error());
  return c->resolve(ref);
}

Result<Image> Catalog::resolve(std::string_view ref) const {
  auto r = parse_reference(ref);
  if (!r) return unexpected(std::move(r).error());
  const std::string images_dir = root_ + "/images";
  auto tags = matching_tags(*repos_, *r);
  if (tags.empty()) return fail(not_found(r->str(), root_));
  const std::string& id = repos_->tags.at(tags.front());
  auto rec = repos_->images.find(id);
  if (rec == repos_->images.end())
    return fail("image store '" + images_dir + "' is inconsistent: tag " + tags.front() + " names missing image " + id);
  auto [name, tag] = split_key(tags.front());
  Image img = to_image(images_dir, name, tag, id, rec->second);
  for (const auto& dir : img.layers) {
    if (::access(dir.c_str(), F_OK) != 0)
      return fail_errno("image " + img.ref() + ": layer dir '" + dir + "' is missing; import the image again");
  }
  return img;
}

Result<std::vector<Image>> ImageStore::list() const {
  auto repos = read_repositories(images_dir());
  if (!repos) return unexpected(std::move(repos).error());
  std::vector<Image> out;
  for (const auto& [key, id] : repos->tags) {
    auto rec = repos->images.find(id);
    if (rec == repos->images.end()) continue;
    auto [name, tag] = split_key(key);
    out.push_back(to_image(images_dir(), name, tag, id, rec->second));
  }
  return out;  // std::map order: by name, then tag
}

Result<void> collect_garbage(const std::string& images_dir, const Repositories& repos) {
  std::set<std::string> used;
  for (const auto& [id, rec] : repos.images) used.insert(rec.layers.begin(), rec.layers.end());
  std::string layers = images_dir + "/layers";
  std::vector<std::string> unused;
  if (DIR* d = ::opendir(layers.c_str())) {
    while (dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != ".." && !used.count(n)) unused.push_back(n);
    }
    ::closedir(d);
  }
  STACK_TRY(make_dirs(images_dir + "/tmp", 0700));
  for (const auto& n : unused) {
    // Renamed out first: a crash mid-removal must not leave a half layer under its id.
    std::string doomed = images_dir + "/tmp/gc-" + n;
    if (::rename((layers + "/" + n).c_str(), doomed.c_str()) != 0)
      return fail_errno("failed to move unused layer '" + layers + "/" + n + "' aside");
    log::debug("removing unused layer {}", n);
  }
  std::string tmp = images_dir + "/tmp";
  if (DIR* d = ::opendir(tmp.c_str())) {
    std::vector<std::string> junk;
    while (dirent* de = ::readdir(d)) {
      std::string n = de->d_name;
      if (n != "." && n != "..") junk.push_back(tmp + "/" + n);
    }
    ::closedir(d);
    for (const auto& j : junk) STACK_TRY(remove_tree(j));
  }
  return {};
}

Result<void> ImageStore::remove(std::string_view ref) {
  auto r = parse_reference(ref);
  if (!r) return unexpected(std::move(r).error());
  std::string dir = images_dir();
  if (::access(dir.c_str(), F_OK) != 0) return fail(not_found(r->str(), root_));
  auto gc = lock_file(dir + "/gc.lock", true);
  if (!gc) return unexpected(std::move(gc).error());
  auto meta = lock_file(dir + "/meta.lock", true);
  if (!meta) return unexpected(std::move(meta).error());
  auto repos = read_repositories(dir);
  if (!repos) return unexpected(std::move(repos).error());
  auto tags = matching_tags(*repos, *r);
  if (tags.empty()) return fail(not_found(r->str(), root_));
  for (const auto& t : tags) remove_tag(*repos, t);
  STACK_TRY(write_repositories(dir, *repos));
  STACK_TRY_CTX(collect_garbage(dir, *repos), "removing unused layers of " + r->str());
  return {};
}

}  // namespace stack::image
