#pragma once
// What an import reads: the kind of PATH and, for image layouts, the image's config
// JSON and its layer tars (lowest first).
#include <string>
#include <vector>

#include "engine/base/result.hpp"

namespace stack::image {

enum class SourceKind { kRootfsDir, kRootfsTar, kOciDir, kOciTar, kDockerDir, kDockerTar };

const char* source_kind_name(SourceKind k);

// Looks at PATH: a directory with oci-layout is an OCI layout, one with manifest.json a
// `docker save` tree, any other directory a rootfs; a tar (any compression) is judged by
// its top-level member names the same way.
Result<SourceKind> detect_source(const std::string& path);

struct LayoutImage {
  std::string config_json;
  std::vector<std::string> layer_tars;  // absolute paths inside the layout dir
};

// Reads an OCI image layout (index.json -> [index ->] manifest -> config + layers) or a
// `docker save` tree (manifest.json). Every file is reached inside dir: a symlink or a
// "../" in the layout cannot make the import read a host file.
Result<LayoutImage> read_oci_layout(const std::string& dir);
Result<LayoutImage> read_docker_archive(const std::string& dir);

// The real path of rel inside dir, resolving symlinks as if dir were "/" (openat2(2)
// RESOLVE_IN_ROOT); must be a regular file.
Result<std::string> file_in_dir(const std::string& dir, const std::string& rel);

}  // namespace stack::image
