// Content-addressed layer dirs: hashing, unpack-then-rename, sizes, removal.
#include "engine/image/import/archive_error.hpp"
#include "engine/image/import/layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <utility>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/image/sha256.hpp"

namespace stack::image {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A fresh directory under <images>/tmp, canonicalised: libarchive's symlink checks walk
// every component of the absolute path it is given.
Result<std::string> make_temp_dir(const std::string& images_dir, const std::string& stem) {
  std::string tmp_root = images_dir + "/tmp";
  STACK_TRY(make_dirs(tmp_root, 0700));
  std::string tmpl = tmp_root + "/" + stem + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return fail_errno("failed to create a temporary dir in '" + tmp_root + "'");
  char real[PATH_MAX];
  if (!::realpath(tmpl.c_str(), real)) {
    int e = errno;
    ::rmdir(tmpl.c_str());
    return fail_errno(e, "failed to resolve '" + tmpl + "'");
  }
  return std::string(real);
}

}  // namespace

Result<std::string> tar_diff_id(const std::string& tar_path) {
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_read_support_format_empty(a.get());
  if (archive_read_open_filename(a.get(), tar_path.c_str(), 1 << 16) != ARCHIVE_OK)
    return archive_fail(a.get(), "failed to open '" + tar_path + "'");
  Sha256 h;
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a.get(), &e);
  if (r == ARCHIVE_OK) {
    char buf[1 << 16];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) h.update(buf, static_cast<size_t>(n));
    if (n < 0) r = static_cast<int>(n);
  }
  if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
    return archive_fail(a.get(), "failed to read '" + tar_path + "'");
  return "sha256:" + h.hex();
}

Result<std::string> ensure_layer(const std::string& images_dir, const std::string& tar_path,
                                 std::string_view expected_diff_id) {
  std::string id(expected_diff_id);
  if (id.empty()) {
    // Hashing alone is cheaper than unpacking a layer the store already has.
    auto hashed = tar_diff_id(tar_path);
    if (!hashed) return hashed;
    id = *hashed;
  }
  std::string layers = images_dir + "/layers";
  std::string final_dir = layers + "/" + id.substr(7);
  if (is_dir(final_dir)) return id;
  STACK_TRY(make_dirs(layers, 0700));
  auto tmp = make_temp_dir(images_dir, "layer-" + id.substr(7, 12));
  if (!tmp) return unexpected(std::move(tmp).error());
  // mkdtemp makes 0700; a layer tar without a "./" entry (most docker layers) must still
  // give the root directory 0755, or a lower-only overlay hides / from non-root users.
  if (::chmod(tmp->c_str(), 0755) != 0) {
    int e = errno;
    (void)remove_tree(*tmp);
    return fail_errno(e, "failed to chmod layer dir '" + *tmp + "'");
  }
  auto got = unpack_layer(tar_path, *tmp);
  if (got && *got != id) {
    // Either the config lies about the layer, or the file changed since it was hashed:
    // the layer would be stored under a name that is not its content.
    got = fail("layer '" + tar_path + "' has content " + *got + " but " +
               (expected_diff_id.empty() ? "it hashed to " : "the image config says ") + id);
  }
  if (got) {
    // Everything on disk before the rename makes the layer visible (crash safety).
    UniqueFd fd(::open(tmp->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::syncfs(fd.get()) != 0) got = fail_errno("failed to sync layer dir '" + *tmp + "'");
  }
  if (!got) {
    (void)remove_tree(*tmp);
    return got;
  }
  if (::rename(tmp->c_str(), final_dir.c_str()) != 0) {
    int e = errno;
    (void)remove_tree(*tmp);
    // Another import finished the same layer first: theirs is as good as ours.
    if ((e == EEXIST || e == ENOTEMPTY) && is_dir(final_dir)) return id;
    return fail_errno(e, "failed to rename layer '" + *tmp + "' to '" + final_dir + "'");
  }
  return id;
}

}  // namespace stack::image
