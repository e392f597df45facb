#pragma once
// The local image store (issue 3, "Images (local store)").
//
// Layout under <root>/images/:
//   layers/<hex>/        one unpacked layer, named by the sha256 of its uncompressed tar
//                        (the OCI diff_id); shared by every image that has it; read-only
//                        lower dirs for overlayfs, whiteouts already in overlayfs form
//   repositories.json    tags -> image ids, and per image: layers, config defaults, size
//   tmp/                 layers being unpacked (renamed into layers/ when complete)
//   gc.lock, meta.lock   flock(2) files: imports share gc.lock, `rm` takes it exclusively
//
// Imports are synchronous and can be long (unpacking); the supervisor runs them on the
// libuv thread pool. Readers (resolve, list) never lock: repositories.json is replaced
// atomically (design invariant 6).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::image {

// The image config's defaults for a service (OCI image-spec config.config).
struct ImageConfig {
  std::vector<std::string> env;            // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;                        // "uid", "uid:gid", "name", "name:group"
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
};

struct Image {
  std::string name;                 // "busybox", "localhost:5000/x/y"
  std::string tag;                  // "latest" when the reference had none
  std::string id;                   // "sha256:<hex>" of the image config JSON
  std::vector<std::string> layers;  // absolute layer dirs, LOWEST FIRST
  ImageConfig config;
  int64_t size = 0;                 // bytes of the layers' unpacked content
  std::string created;              // RFC 3339, from the config (or import time)

  std::string ref() const { return name + ":" + tag; }
  // overlayfs lowerdir= value: the layers TOPMOST FIRST, joined by ':' (overlayfs(5)).
  std::string overlay_lowerdir() const;
};

// A parsed image reference: "busybox", "busybox:1", "localhost:5000/x/y:z",
// "x@sha256:<64 hex>". tag is "latest" when neither tag nor digest is given.
struct Reference {
  std::string name;
  std::string tag;
  std::string digest;  // "sha256:<hex>" or empty
  std::string str() const;  // "name:tag" or "name@digest"
};
Result<Reference> parse_reference(std::string_view ref);

struct Repositories;  // metadata.hpp

// The store's tags as one read of repositories.json found them: resolving many references
// (a supervisor resolves every service's image when it starts and at every apply) reads
// and parses the index once instead of once per reference.
class Catalog {
 public:
  // As ImageStore::resolve, against this read.
  Result<Image> resolve(std::string_view ref) const;

 private:
  friend class ImageStore;
  Catalog(std::string root, std::shared_ptr<const Repositories> repos)
      : root_(std::move(root)), repos_(std::move(repos)) {}
  std::string root_;
  std::shared_ptr<const Repositories> repos_;
};

class ImageStore {
 public:
  // No side effect: a missing store is an empty store until the first import.
  static Result<ImageStore> open(std::string root);

  // The image a reference names. Absent: "image busybox:1 not found in <root>; import it
  // with: stack image import busybox:1 PATH".
  Result<Image> resolve(std::string_view ref) const;
  // repositories.json as it is now, for several resolves.
  Result<Catalog> catalog() const;
  // Loads PATH (rootfs dir, rootfs tar[.gz|.zst], OCI layout dir or tar, `docker save`
  // tar) and tags it ref, replacing an older image of that tag. Defined in the importer
  // part (engine/image/import, stack_image_import), which the stack binary does not link.
  Result<Image> import(std::string_view ref, const std::string& path);
  // Every tag, sorted by name then tag.
  Result<std::vector<Image>> list() const;
  // Removes the tag, the image once no tag names it, and layers no other image uses.
  Result<void> remove(std::string_view ref);

  const std::string& root() const { return root_; }
  std::string images_dir() const { return root_ + "/images"; }

 private:
  explicit ImageStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace stack::image
