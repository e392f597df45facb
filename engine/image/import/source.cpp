#include "engine/image/import/archive_error.hpp"
#include "engine/image/import/source.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <memory>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/image/import/entry_path.hpp"
#include "engine/image/import/manifest.hpp"
#include "engine/image/sha256.hpp"

namespace stack::image {
namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

bool is_hex(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Top-level names an OCI layout or a docker save archive may hold.
bool layout_member(std::string_view top) {
  if (top == "blobs" || top == "oci-layout" || top == "index.json" || top == "manifest.json" ||
      top == "repositories" || top == ".")
    return true;
  if (top.size() > 5 && top.substr(top.size() - 5) == ".json") top.remove_suffix(5);
  return is_hex(top);
}

constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

}  // namespace

const char* source_kind_name(SourceKind k) {
  switch (k) {
    case SourceKind::kRootfsDir: return "rootfs directory";
    case SourceKind::kRootfsTar: return "rootfs tarball";
    case SourceKind::kOciDir: return "OCI layout directory";
    case SourceKind::kOciTar: return "OCI layout tarball";
    case SourceKind::kDockerDir: return "docker save directory";
    case SourceKind::kDockerTar: return "docker save archive";
  }
  return "?";
}

Result<SourceKind> detect_source(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno("cannot import '" + path + "'");
  if (S_ISDIR(st.st_mode)) {
    if (exists(path + "/oci-layout") && exists(path + "/index.json")) return SourceKind::kOciDir;
    if (exists(path + "/manifest.json")) return SourceKind::kDockerDir;
    return SourceKind::kRootfsDir;
  }
  if (!S_ISREG(st.st_mode)) return fail("cannot import '" + path + "': not a directory or a regular file");
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
    return archive_fail(a.get(), "cannot import '" + path + "'");
  bool oci = false, docker = false;
  archive_entry* e = nullptr;
  int r;
  // Stops at the first member that cannot be part of a layout: a rootfs tar is judged
  // after a few headers, not read through.
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    auto cleaned = clean_entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
    if (!cleaned) return SourceKind::kRootfsTar;  // unpacking will report it
    std::string top = cleaned->substr(0, cleaned->find('/'));
    if (!layout_member(top)) return SourceKind::kRootfsTar;
    if (*cleaned == "oci-layout") oci = true;
    if (*cleaned == "manifest.json") docker = true;
  }
  if (r != ARCHIVE_EOF)
    return archive_fail(a.get(), "cannot import '" + path + "'");
  if (oci) return SourceKind::kOciTar;
  if (docker) return SourceKind::kDockerTar;
  return SourceKind::kRootfsTar;
}

Result<std::string> file_in_dir(const std::string& dir, const std::string& rel) {
  auto cleaned = clean_entry_path(rel);
  if (!cleaned) return unexpected(std::move(cleaned).error());
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) return fail_errno("failed to open '" + dir + "'");
  struct open_how how {};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  UniqueFd f(static_cast<int>(::syscall(SYS_openat2, d.get(), cleaned->c_str(), &how, sizeof how)));
  if (!f) return fail_errno("failed to open '" + *cleaned + "' in '" + dir + "'");
  struct stat st {};
  if (::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return fail("'" + *cleaned + "' in '" + dir + "' is not a regular file");
  char real[PATH_MAX];
  ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(f.get())).c_str(), real, sizeof real - 1);
  if (n < 0) return fail_errno("failed to resolve '" + *cleaned + "' in '" + dir + "'");
  return std::string(real, static_cast<size_t>(n));
}

namespace {

// A small blob (index, manifest, config) read whole and checked against its digest: the
// image id is the config's digest, so a config that is not what the manifest names would
// give the image a false id.
Result<std::string> read_blob(const std::string& dir, const Descriptor& d) {
  auto path = file_in_dir(dir, blob_path(d));
  if (!path) return unexpected(std::move(path).error());
  auto text = read_file(*path);
  if (!text) return text;
  if ("sha256:" + sha256_hex(*text) != d.digest)
    return fail("blob '" + *path + "' does not match its digest " + d.digest);
  return text;
}

}  // namespace

Result<LayoutImage> read_oci_layout(const std::string& dir) {
  auto index_path = file_in_dir(dir, "index.json");
  if (!index_path) return unexpected(std::move(index_path).error());
  auto text = read_file(*index_path);
  if (!text) return unexpected(std::move(text).error());
  auto desc = parse_oci_index(*text, host_arch());
  if (!desc) return unexpected(desc.error().wrap(dir));
  // Nested indexes (a multi-platform index under the layout's index) are followed a
  // few levels, never forever.
  for (int depth = 0;; ++depth) {
    text = read_blob(dir, *desc);
    if (!text) return unexpected(std::move(text).error());
    bool is_index = desc->media_type == kOciIndex || desc->media_type == kDockerList ||
                    (desc->media_type.empty() && text->find("\"manifests\"") != std::string::npos);
    if (!is_index) break;
    if (depth == 4) return fail(dir + ": image indexes nested too deep");
    std::string where = dir + "/" + blob_path(*desc);
    desc = parse_oci_index(*text, host_arch());
    if (!desc) return unexpected(desc.error().wrap(where));
  }
  auto manifest = parse_oci_manifest(*text);
  if (!manifest) return unexpected(manifest.error().wrap(dir));
  LayoutImage out;
  auto config = read_blob(dir, manifest->config);
  if (!config) return unexpected(std::move(config).error());
  out.config_json = std::move(*config);
  for (const auto& l : manifest->layers) {
    auto p = file_in_dir(dir, blob_path(l));
    if (!p) return unexpected(std::move(p).error());
    out.layer_tars.push_back(std::move(*p));
  }
  return out;
}

Result<LayoutImage> read_docker_archive(const std::string& dir) {
  auto manifest_path = file_in_dir(dir, "manifest.json");
  if (!manifest_path) return unexpected(std::move(manifest_path).error());
  auto text = read_file(*manifest_path);
  if (!text) return unexpected(std::move(text).error());
  auto m = parse_docker_manifest(*text);
  if (!m) return unexpected(m.error().wrap(dir));
  LayoutImage out;
  auto config_path = file_in_dir(dir, m->config);
  if (!config_path) return unexpected(std::move(config_path).error());
  auto config = read_file(*config_path);
  if (!config) return unexpected(std::move(config).error());
  out.config_json = std::move(*config);
  for (const auto& l : m->layers) {
    auto p = file_in_dir(dir, l);
    if (!p) return unexpected(std::move(p).error());
    out.layer_tars.push_back(std::move(*p));
  }
  return out;
}

}  // namespace stack::image
