// ImageStore::import: PATH -> layer tars + config -> layer dirs -> repositories.json.
#include <sys/file.h>
#include <time.h>

#include <nlohmann/json.hpp>

#include "engine/base/file.hpp"
#include "engine/base/log.hpp"
#include "engine/image/import/layer.hpp"
#include "engine/image/import/manifest.hpp"
#include "engine/image/metadata.hpp"
#include "engine/image/sha256.hpp"
#include "engine/image/import/source.hpp"
#include "engine/image/store.hpp"

namespace stack::image {
namespace {

std::string now_rfc3339() {
  time_t t = ::time(nullptr);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Temporary files and dirs of one import, removed however it ends.
class Scratch {
 public:
  explicit Scratch(std::string images_dir) : images_dir_(std::move(images_dir)) {}
  ~Scratch() {
    for (const auto& p : paths_) (void)remove_tree(p);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  Result<std::string> make_dir(const std::string& stem) {
    std::string tmpl = images_dir_ + "/tmp/" + stem + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return fail_errno("failed to create a temporary dir in '" + images_dir_ + "/tmp'");
    char real[PATH_MAX];
    if (!::realpath(tmpl.c_str(), real)) return fail_errno("failed to resolve '" + tmpl + "'");
    paths_.push_back(real);
    return paths_.back();
  }

 private:
  std::string images_dir_;
  std::vector<std::string> paths_;
};

// A rootfs becomes a one-layer image with an empty config, as `docker import` makes.
std::string synthesize_config(const std::string& diff_id, const std::string& path) {
  std::string now = now_rfc3339();
  nlohmann::json j{{"architecture", host_arch()},
                   {"os", "linux"},
                   {"created", now},
                   {"config", nlohmann::json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id}}}},
                   {"history", {{{"created", now}, {"comment", "stack image import " + path}}}}};
  return j.dump();
}

struct Loaded {
  std::string config_json;
  std::vector<std::string> layer_hex;
};

Result<Loaded> load_layers(const std::string& images_dir, const std::string& path, Scratch& scratch) {
  auto kind = detect_source(path);
  if (!kind) return unexpected(std::move(kind).error());
  log::debug("importing {} '{}'", source_kind_name(*kind), path);
  Loaded out;
  if (*kind == SourceKind::kRootfsDir || *kind == SourceKind::kRootfsTar) {
    std::string tar = path;
    if (*kind == SourceKind::kRootfsDir) {
      auto d = scratch.make_dir("dir");
      if (!d) return unexpected(std::move(d).error());
      tar = *d + "/rootfs.tar";
      STACK_TRY(tar_directory(path, tar));
    }
    auto id = ensure_layer(images_dir, tar, "");
    if (!id) return unexpected(std::move(id).error());
    out.layer_hex.push_back(id->substr(7));
    out.config_json = synthesize_config(*id, path);
    return out;
  }
  std::string dir = path;
  if (*kind == SourceKind::kOciTar || *kind == SourceKind::kDockerTar) {
    auto d = scratch.make_dir("archive");
    if (!d) return unexpected(std::move(d).error());
    auto unpacked = unpack_layer(path, *d);
    if (!unpacked) return unexpected(std::move(unpacked).error());
    dir = *d;
  }
  bool oci = *kind == SourceKind::kOciDir || *kind == SourceKind::kOciTar;
  auto layout = oci ? read_oci_layout(dir) : read_docker_archive(dir);
  if (!layout) return unexpected(layout.error().wrap(std::string("reading ") + source_kind_name(*kind)));
  auto cfg = parse_image_config(layout->config_json);
  if (!cfg) return unexpected(std::move(cfg).error());
  if (!cfg->diff_ids.empty() && cfg->diff_ids.size() != layout->layer_tars.size())
    return fail("image config lists " + std::to_string(cfg->diff_ids.size()) + " diff_ids but the manifest " +
                std::to_string(layout->layer_tars.size()) + " layers");
  for (size_t i = 0; i < layout->layer_tars.size(); ++i) {
    auto id = ensure_layer(images_dir, layout->layer_tars[i], cfg->diff_ids.empty() ? "" : cfg->diff_ids[i]);
    if (!id) return unexpected(std::move(id).error());
    out.layer_hex.push_back(id->substr(7));
  }
  out.config_json = std::move(layout->config_json);
  return out;
}

}  // namespace

Result<Image> ImageStore::import(std::string_view ref_text, const std::string& path) {
  auto ref = parse_reference(ref_text);
  if (!ref) return unexpected(std::move(ref).error());
  if (!ref->digest.empty()) return fail("cannot import as '" + std::string(ref_text) + "': give NAME[:TAG], not a digest");
  const std::string dir = images_dir();
  STACK_TRY(make_dirs(dir + "/layers", 0700));
  STACK_TRY(make_dirs(dir + "/tmp", 0700));
  // Shared: imports run side by side; `rm` (exclusive) cannot collect a layer that an
  // import has unpacked or found but not yet committed.
  auto gc = lock_file(dir + "/gc.lock", false);
  if (!gc) return unexpected(std::move(gc).error());
  std::string ctx = "importing '" + path + "' as " + ref->str();
  Scratch scratch(dir);
  auto loaded = load_layers(dir, path, scratch);
  if (!loaded) return unexpected(loaded.error().wrap(ctx));
  auto cfg = parse_image_config(loaded->config_json);
  if (!cfg) return unexpected(cfg.error().wrap(ctx));

  ImageRecord rec;
  rec.layers = loaded->layer_hex;
  rec.config = cfg->config;
  rec.created = cfg->created.empty() ? now_rfc3339() : cfg->created;
  for (const auto& hex : rec.layers) {
    auto sz = tree_size(dir + "/layers/" + hex);
    if (!sz) return unexpected(sz.error().wrap(ctx));
    rec.size += *sz;
  }
  std::string id = "sha256:" + sha256_hex(loaded->config_json);
  {
    auto meta = lock_file(dir + "/meta.lock", true);
    if (!meta) return unexpected(std::move(meta).error());
    auto repos = read_repositories(dir);
    if (!repos) return unexpected(repos.error().wrap(ctx));
    set_tag(*repos, ref->name + ":" + ref->tag, id, rec);
    STACK_TRY_CTX(write_repositories(dir, *repos), ctx);
  }
  // A moved tag can leave layers no image uses. Collect them now if no other import or
  // rm is running (flock(2): converting shared to exclusive, without waiting).
  if (::flock(gc->get(), LOCK_EX | LOCK_NB) == 0) {
    // Re-read: another import may have committed between our write and this lock.
    auto now = read_repositories(dir);
    auto r = now ? collect_garbage(dir, *now) : Result<void>(unexpected(std::move(now).error()));
    if (!r) log::warn("{}: collecting unused layers: {}", ctx, r.error().message);
  }
  return to_image(dir, ref->name, ref->tag, id, rec);
}

}  // namespace stack::image
