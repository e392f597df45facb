// tar_directory: a rootfs directory as one layer tar, so that a directory import goes
// through the same hashing and safe unpacking as every other layer.
#include <archive.h>
#include <archive_entry.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/base/log.hpp"
#include "engine/image/import/archive_error.hpp"
#include "engine/image/import/layer.hpp"

namespace stack::image {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using ResolverPtr = std::unique_ptr<archive_entry_linkresolver, decltype(&archive_entry_linkresolver_free)>;

class DirTar {
 public:
  DirTar(std::string dir, std::string tar) : dir_(std::move(dir)), tar_(std::move(tar)) {}
  Result<void> run();

 private:
  Result<void> add(archive_entry* e);
  std::string where() const { return "archiving '" + dir_ + "' into '" + tar_ + "'"; }

  std::string dir_, tar_;
  ReadPtr disk_{archive_read_disk_new(), archive_read_free};
  WritePtr out_{archive_write_new(), archive_write_free};
  ResolverPtr links_{archive_entry_linkresolver_new(), archive_entry_linkresolver_free};
};

Result<void> DirTar::run() {
  archive_read_disk_set_symlink_physical(disk_.get());
  // A rootfs dir with something mounted inside (a chroot's /proc) is archived without
  // the mounts' content.
  archive_read_disk_set_behavior(disk_.get(), ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
  archive_write_set_format_pax_restricted(out_.get());
  archive_entry_linkresolver_set_strategy(links_.get(), archive_format(out_.get()));
  if (archive_write_open_filename(out_.get(), tar_.c_str()) != ARCHIVE_OK)
    return archive_fail(out_.get(), where());
  if (archive_read_disk_open(disk_.get(), dir_.c_str()) != ARCHIVE_OK)
    return archive_fail(disk_.get(), where());
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(disk_.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return archive_fail(disk_.get(), where());
    archive_read_disk_descend(disk_.get());
    STACK_TRY(add(e));
  }
  // Entries the link resolver held back (hard links it had not seen complete).
  archive_entry* rest = nullptr;
  archive_entry* spare = nullptr;
  for (archive_entry_linkify(links_.get(), &rest, &spare); rest; archive_entry_linkify(links_.get(), &rest, &spare)) {
    if (archive_write_header(out_.get(), rest) < ARCHIVE_WARN)
      return archive_fail(out_.get(), where());
    archive_entry_free(rest);
    rest = nullptr;
  }
  if (archive_write_close(out_.get()) != ARCHIVE_OK)
    return archive_fail(out_.get(), where());
  return {};
}

Result<void> DirTar::add(archive_entry* e) {
  std::string path = archive_entry_pathname(e);
  std::string rel = path.size() > dir_.size() ? path.substr(dir_.size() + 1) : ".";
  archive_entry_set_pathname(e, rel.c_str());
  // Only content and mtime go into the tar, so that the same tree hashes the same.
  archive_entry_unset_atime(e);
  archive_entry_unset_ctime(e);
  archive_entry_unset_birthtime(e);
  archive_entry_set_uname(e, nullptr);
  archive_entry_set_gname(e, nullptr);
  if (archive_entry_filetype(e) == AE_IFSOCK) {
    log::warn("{}: skipping socket '{}' (tar cannot hold sockets)", where(), rel);
    return {};
  }
  archive_entry* spare = nullptr;
  archive_entry* out = archive_entry_clone(e);
  archive_entry_linkify(links_.get(), &out, &spare);
  for (archive_entry* cur : {out, spare}) {
    if (!cur) continue;
    int r = archive_write_header(out_.get(), cur);
    if (r < ARCHIVE_WARN) {
      archive_entry_free(cur == out ? out : spare);
      return archive_fail(out_.get(), where() + ": '" + rel + "'");
    }
    // Data goes with the entry that carries a size (linkify zeroes it for hard links).
    if (cur == out && archive_entry_size(cur) > 0) {
      char buf[1 << 16];
      la_ssize_t n;
      while ((n = archive_read_data(disk_.get(), buf, sizeof buf)) > 0)
        if (archive_write_data(out_.get(), buf, static_cast<size_t>(n)) < 0)
          return archive_fail(out_.get(), where() + ": '" + rel + "'");
      if (n < 0) return archive_fail(disk_.get(), where() + ": reading '" + rel + "'");
    }
  }
  archive_entry_free(out);
  archive_entry_free(spare);
  return {};
}

}  // namespace

Result<void> tar_directory(const std::string& dir, const std::string& tar_path) {
  // The tree itself, not a symlink to it: read_disk does not follow symlinks.
  char real[PATH_MAX];
  if (!::realpath(dir.c_str(), real)) return fail_errno("failed to resolve '" + dir + "'");
  DirTar t(real, tar_path);
  return t.run();
}

}  // namespace stack::image
