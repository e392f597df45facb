#pragma once
// repositories.json: the store's only index, replaced atomically on every change.
//   {"version": 1,
//    "tags":   {"busybox:latest": "sha256:<image id hex>"},
//    "images": {"sha256:<hex>": {"layers": ["<diff_id hex>", ...],   lowest first
//                                "config": {"Env": [...], ...}, "created": "...", "size": N}}}
// Plus the flock(2) helpers that order writers (see store.hpp for the protocol).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/image/store.hpp"

namespace stack::image {

struct ImageRecord {
  std::vector<std::string> layers;  // diff_id hex, lowest first
  ImageConfig config;
  std::string created;
  int64_t size = 0;
};

struct Repositories {
  std::map<std::string, std::string> tags;      // "name:tag" -> image id
  std::map<std::string, ImageRecord> images;    // image id -> record
};

// Points key ("name:tag") at id with record rec; an image no tag names any more is
// dropped (its layers are collected by collect_garbage).
void set_tag(Repositories& repos, const std::string& key, const std::string& id, ImageRecord rec);
// Removes the tag, and the image once no tag names it. False if the tag was absent.
bool remove_tag(Repositories& repos, const std::string& key);
// The public Image of a record: layer hexes become absolute layer dirs.
Image to_image(const std::string& images_dir, const std::string& name, const std::string& tag,
               const std::string& id, const ImageRecord& rec);

Result<Repositories> parse_repositories(std::string_view json);
std::string dump_repositories(const Repositories& repos);

// Reads <images_dir>/repositories.json; a missing file is an empty store.
Result<Repositories> read_repositories(const std::string& images_dir);
Result<void> write_repositories(const std::string& images_dir, const Repositories& repos);

// Removes layer dirs no image in repos names, and everything in <images_dir>/tmp. The
// caller must hold gc.lock exclusively (no import between unpacking and committing).
Result<void> collect_garbage(const std::string& images_dir, const Repositories& repos);

// Opens (creating) path and flock(2)s it, shared or exclusive; unlocked when the fd closes.
Result<UniqueFd> lock_file(const std::string& path, bool exclusive);

}  // namespace stack::image
