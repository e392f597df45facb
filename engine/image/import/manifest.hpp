#pragma once
// Parsers for the JSON documents of OCI image layouts and `docker save` archives. They
// take strings (style rule 11); reading the files is the caller's business.
//   OCI image-spec: index.json (image-index), manifest (image-manifest), config.
//   docker save:    manifest.json = [{"Config": "...json", "RepoTags": [...], "Layers": [...]}].
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/image/store.hpp"

namespace stack::image {

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>", checked: it becomes a file name
};

// True for "sha256:" + 64 lower-case hex digits.
bool valid_sha256_digest(std::string_view digest);
// "blobs/sha256/<hex>" for a valid digest.
std::string blob_path(const Descriptor& d);

// The manifest an index points to: the only one, else the first for linux/<arch>
// ("amd64", "arm64", ...), else the first. The result may itself be an index.
Result<Descriptor> parse_oci_index(std::string_view json, std::string_view arch);

struct OciManifest {
  Descriptor config;
  std::vector<Descriptor> layers;  // lowest first
};
Result<OciManifest> parse_oci_manifest(std::string_view json);

struct DockerManifest {
  std::string config;               // path inside the archive
  std::vector<std::string> layers;  // paths inside the archive, lowest first
  std::vector<std::string> repo_tags;
};
// The first image of a `docker save` manifest.json.
Result<DockerManifest> parse_docker_manifest(std::string_view json);

struct ParsedConfig {
  ImageConfig config;
  std::vector<std::string> diff_ids;  // "sha256:<hex>" per layer, lowest first
  std::string created;
};
Result<ParsedConfig> parse_image_config(std::string_view json);

// Host architecture in OCI/Go spelling ("amd64" for x86_64).
std::string host_arch();

}  // namespace stack::image
