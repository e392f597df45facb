// unpack_layer: one layer tar into a directory, safely, with overlayfs whiteouts.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/log.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/image/import/archive_error.hpp"
#include "engine/image/import/entry_path.hpp"
#include "engine/image/import/layer.hpp"
#include "engine/image/sha256.hpp"

namespace stack::image {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

constexpr int kExtractFlags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                              ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
// openat2(2): stay under the dir fd, follow no symlink, cross no mount.
constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

UniqueFd open_beneath(int dirfd, const std::string& path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = kBeneath;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how)));
}

std::string archive_err(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

// overlayfs reads trusted.overlay.* as its own metadata (opaque, redirect, metacopy):
// a layer must not smuggle them in; we set opaque ourselves from ".wh..wh..opq".
void drop_overlay_xattrs(archive_entry* e) {
  std::vector<std::pair<std::string, std::string>> keep;
  bool dropped = false;
  const char* name;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(name).substr(0, 16) == "trusted.overlay.") {
      dropped = true;
      continue;
    }
    keep.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  if (!dropped) return;
  archive_entry_xattr_clear(e);
  for (auto& [n, v] : keep) archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
}

class Unpacker {
 public:
  Unpacker(std::string tar, std::string dest, UniqueFd dest_fd)
      : tar_(std::move(tar)), dest_(std::move(dest)), dest_fd_(std::move(dest_fd)) {}

  // Unpacks everything; returns the diff_id ("sha256:<hex>" of the uncompressed stream).
  Result<std::string> run();

 private:
  Result<void> open();
  Result<void> entry(archive_entry* e);
  Result<void> drain();
  static la_ssize_t feed(archive* a, void* self, const void** out);
  Result<void> write(archive_entry* e, bool with_data);
  Result<void> whiteout(const std::string& path);
  Result<void> mark_opaque_dir(const std::string& path);
  Result<void> set_opaque(const std::string& path);
  std::string where() const { return "unpacking '" + tar_ + "'"; }

  std::string tar_, dest_;
  UniqueFd dest_fd_;
  // outer_ decompresses (any filter, "raw" format); in_ parses the tar from the bytes
  // outer_ yields, which are hashed on the way: one read of the file gives both the
  // content and the id it is stored under.
  ReadPtr outer_{archive_read_new(), archive_read_free};
  ReadPtr in_{archive_read_new(), archive_read_free};
  Sha256 hash_;
  std::vector<char> buf_ = std::vector<char>(1 << 16);
  bool outer_eof_ = false;
  WritePtr out_{archive_write_disk_new(), archive_write_free};
  std::vector<std::string> opaque_;
};

la_ssize_t Unpacker::feed(archive* a, void* self, const void** out) {
  auto* u = static_cast<Unpacker*>(self);
  if (u->outer_eof_) return 0;
  la_ssize_t n = archive_read_data(u->outer_.get(), u->buf_.data(), u->buf_.size());
  if (n < 0) {
    const char* msg = archive_error_string(u->outer_.get());
    archive_set_error(a, archive_errno(u->outer_.get()), "%s", msg ? msg : "decompression failed");
    return -1;
  }
  if (n == 0) u->outer_eof_ = true;
  u->hash_.update(u->buf_.data(), static_cast<size_t>(n));
  *out = u->buf_.data();
  return n;
}

Result<void> Unpacker::open() {
  archive_read_support_filter_all(outer_.get());
  archive_read_support_format_raw(outer_.get());
  archive_read_support_format_empty(outer_.get());
  if (archive_read_open_filename(outer_.get(), tar_.c_str(), 1 << 16) != ARCHIVE_OK)
    return archive_fail(outer_.get(), "failed to open layer '" + tar_ + "'");
  archive_entry* e = nullptr;
  int r = archive_read_next_header(outer_.get(), &e);
  if (r == ARCHIVE_EOF) outer_eof_ = true;
  else if (r < ARCHIVE_WARN) return archive_fail(outer_.get(), where());
  archive_read_support_format_tar(in_.get());
  archive_read_support_format_empty(in_.get());
  if (archive_read_open(in_.get(), this, nullptr, &Unpacker::feed, nullptr) != ARCHIVE_OK)
    return archive_fail(in_.get(), where());
  return {};
}

// Hashes what follows the tar's end-of-archive blocks: the diff_id covers every byte.
Result<void> Unpacker::drain() {
  while (!outer_eof_) {
    la_ssize_t n = archive_read_data(outer_.get(), buf_.data(), buf_.size());
    if (n < 0) return archive_fail(outer_.get(), where());
    if (n == 0) outer_eof_ = true;
    hash_.update(buf_.data(), static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> Unpacker::run() {
  archive_write_disk_set_options(out_.get(), kExtractFlags);
  // No archive_write_disk_set_standard_lookup: owners stay the tar's numeric ids, never
  // remapped through the host's /etc/passwd.
  STACK_TRY(open());
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(in_.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return archive_fail(in_.get(), where());
    STACK_TRY(entry(e));
  }
  if (archive_write_close(out_.get()) != ARCHIVE_OK)
    return archive_fail(out_.get(), where() + ": finishing");
  for (const auto& dir : opaque_) STACK_TRY(set_opaque(dir));
  STACK_TRY(drain());
  return "sha256:" + hash_.hex();
}

Result<void> Unpacker::entry(archive_entry* e) {
  const char* raw = archive_entry_pathname(e);
  auto cleaned = clean_entry_path(raw ? raw : "");
  if (!cleaned) return unexpected(cleaned.error().wrap(where()));
  EntryAction act = classify_entry(*cleaned);
  switch (act.kind) {
    case EntryKind::kSkip:
      return {};
    case EntryKind::kWhiteout:
      return whiteout(act.path);
    case EntryKind::kOpaque:
      return mark_opaque_dir(act.path);
    case EntryKind::kNormal:
      break;
  }
  if (act.path == "." && archive_entry_filetype(e) != AE_IFDIR)
    return fail(where() + ": the layer root entry '" + std::string(raw) + "' is not a directory");
  if (const char* link = archive_entry_hardlink(e)) {
    auto target = clean_entry_path(link);
    if (!target) return unexpected(target.error().wrap(where()));
    // The target must already be in this layer, reached without symlinks: a hard link
    // through a symlink would pull a host file into the image.
    UniqueFd t = open_beneath(dest_fd_.get(), *target, O_PATH | O_NOFOLLOW);
    if (!t)
      return fail_errno(where() + ": hard link '" + act.path + "' -> '" + *target + "' does not stay in the layer");
    archive_entry_set_hardlink(e, (dest_ + "/" + *target).c_str());
  }
  archive_entry_set_pathname(e, act.path == "." ? dest_.c_str() : (dest_ + "/" + act.path).c_str());
  drop_overlay_xattrs(e);
  return write(e, true);
}

Result<void> Unpacker::write(archive_entry* e, bool with_data) {
  const std::string name = archive_entry_pathname(e);
  int r = archive_write_header(out_.get(), e);
  if (r < ARCHIVE_WARN)
    return archive_fail(out_.get(), where());
  if (r == ARCHIVE_WARN) log::warn("{}: {}", where(), archive_err(out_.get()));
  if (with_data && archive_entry_size(e) > 0) {
    const void* buf;
    size_t size;
    la_int64_t off;
    while ((r = archive_read_data_block(in_.get(), &buf, &size, &off)) == ARCHIVE_OK) {
      if (archive_write_data_block(out_.get(), buf, size, off) < ARCHIVE_OK)
        return archive_fail(out_.get(), where() + ": writing '" + name + "'");
    }
    if (r != ARCHIVE_EOF)
      return archive_fail(in_.get(), where() + ": reading '" + name + "'");
  }
  r = archive_write_finish_entry(out_.get());
  if (r < ARCHIVE_WARN)
    return archive_fail(out_.get(), where() + ": " + name);
  return {};
}

// overlayfs(5) "whiteouts and opaque directories": a whiteout is a character device
// with device number 0/0.
Result<void> Unpacker::whiteout(const std::string& path) {
  EntryPtr w(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(w.get(), (dest_ + "/" + path).c_str());
  archive_entry_set_filetype(w.get(), AE_IFCHR);
  archive_entry_set_perm(w.get(), 0);
  archive_entry_set_rdev(w.get(), 0);
  archive_entry_set_uid(w.get(), 0);
  archive_entry_set_gid(w.get(), 0);
  return write(w.get(), false);
}

// The xattr is set after archive_write_close, when libarchive has applied its deferred
// directory fix-ups; the directory is made now if the tar had no entry for it.
Result<void> Unpacker::mark_opaque_dir(const std::string& path) {
  struct stat st {};
  if (path != "." && ::fstatat(dest_fd_.get(), path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    EntryPtr d(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(d.get(), (dest_ + "/" + path).c_str());
    archive_entry_set_filetype(d.get(), AE_IFDIR);
    archive_entry_set_perm(d.get(), 0755);
    STACK_TRY(write(d.get(), false));
  }
  opaque_.push_back(path);
  return {};
}

Result<void> Unpacker::set_opaque(const std::string& path) {
  UniqueFd d = open_beneath(dest_fd_.get(), path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (!d) return fail_errno(where() + ": opaque directory '" + path + "' is not a directory in the layer");
  if (::fsetxattr(d.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
    return fail_errno(where() + ": failed to set trusted.overlay.opaque on '" + path + "'");
  return {};
}

}  // namespace

Result<std::string> unpack_layer(const std::string& tar_path, const std::string& dest) {
  UniqueFd fd(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno("failed to open layer dir '" + dest + "'");
  Unpacker u(tar_path, dest, std::move(fd));
  return u.run();
}

}  // namespace stack::image
