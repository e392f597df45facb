#pragma once
// Pure rules for the entries of a layer tar: where an entry may land inside the layer
// dir, and which entries are OCI/docker whiteouts (OCI image spec, "layer.md":
// ".wh.NAME" deletes NAME from lower layers, ".wh..wh..opq" makes its directory opaque).
// overlayfs(5) spells the same things as a 0:0 character device NAME and the xattr
// trusted.overlay.opaque=y on the directory.
#include <string>
#include <string_view>

#include "engine/base/result.hpp"

namespace stack::image {

// A tar member name made relative to the layer dir: leading '/' and "./" dropped, "."
// and empty components removed. A ".." component is refused (it could leave the dir).
// The layer root itself comes back as ".".
Result<std::string> clean_entry_path(std::string_view raw);

enum class EntryKind {
  kNormal,    // unpack as is
  kWhiteout,  // make a 0:0 char device at path
  kOpaque,    // set trusted.overlay.opaque=y on the directory path
  kSkip,      // aufs bookkeeping (".wh..wh.plnk", ".wh..wh.aufs"): not content
};

struct EntryAction {
  EntryKind kind = EntryKind::kNormal;
  std::string path;  // cleaned path the action applies to ("." for the layer root)
};

// Classifies an already cleaned path.
EntryAction classify_entry(const std::string& cleaned);

}  // namespace stack::image
