#pragma once
// Helpers for the image store's integration tests: a temp store root, tar files built
// entry by entry with libarchive (so tests can write hostile names), and file probes.
#include <archive.h>
#include <archive_entry.h>

#include <string>
#include <vector>

#include "tests/support/testing.hpp"

namespace stack::image::test {

// Writes a tar (optionally gzip'd) entry by entry; closed by close() or the destructor.
class TarBuilder {
 public:
  explicit TarBuilder(const std::string& path, bool gzip = false);
  ~TarBuilder();
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  TarBuilder& dir(const std::string& name, int mode = 0755);
  TarBuilder& file(const std::string& name, const std::string& content, int mode = 0644, int uid = 0, int gid = 0);
  TarBuilder& symlink(const std::string& name, const std::string& target);
  TarBuilder& hardlink(const std::string& name, const std::string& target);
  // A directory entry carrying one xattr.
  TarBuilder& dir_with_xattr(const std::string& name, const std::string& key, const std::string& value);
  void close();

 private:
  void add(archive_entry* e, const std::string& content);
  archive* a_;
  bool closed_ = false;
};

// A temp dir named for this process, with the store root at <dir>/root.
struct Sandbox {
  stack::testing::TempDir tmp{"stack-image-" + std::to_string(::getpid())};
  std::string dir() const { return tmp.path(); }
  std::string root() const { return tmp.path() + "/root"; }
  std::string images() const { return root() + "/images"; }
};

// Compresses a file with libarchive's zstd filter (no zstd CLI needed).
void zstd_file(const std::string& in, const std::string& out);
// tests/support/mkbusybox into dir (REQUIREs success).
void make_busybox(const std::string& dir);
// sha256 hex of a file's bytes.
std::string sha256_file(const std::string& path);
void write_text(const std::string& path, const std::string& content);
// Names in a directory (not . and ..), sorted; empty if it does not exist.
std::vector<std::string> entries(const std::string& dir);
// Every path under dir whose file name starts with prefix.
std::vector<std::string> find_names(const std::string& dir, const std::string& prefix);
// "path mode uid gid type link" per entry, sorted: compares two trees.
std::string tree_listing(const std::string& dir);

}  // namespace stack::image::test
