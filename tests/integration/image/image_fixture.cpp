#include "tests/integration/image/image_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/image/sha256.hpp"

namespace stack::image::test {

namespace fs = std::filesystem;

TarBuilder::TarBuilder(const std::string& path, bool gzip) : a_(archive_write_new()) {
  archive_write_set_format_pax_restricted(a_);
  if (gzip) archive_write_add_filter_gzip(a_);
  REQUIRE(archive_write_open_filename(a_, path.c_str()) == ARCHIVE_OK);
}

TarBuilder::~TarBuilder() {
  close();
  archive_write_free(a_);
}

void TarBuilder::close() {
  if (closed_) return;
  closed_ = true;
  archive_write_close(a_);
}

void TarBuilder::add(archive_entry* e, const std::string& content) {
  archive_entry_set_mtime(e, 1700000000, 0);
  REQUIRE(archive_write_header(a_, e) == ARCHIVE_OK);
  if (!content.empty()) REQUIRE(archive_write_data(a_, content.data(), content.size()) == la_ssize_t(content.size()));
  archive_entry_free(e);
}

TarBuilder& TarBuilder::dir(const std::string& name, int mode) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, mode_t(mode));
  add(e, "");
  return *this;
}

TarBuilder& TarBuilder::file(const std::string& name, const std::string& content, int mode, int uid, int gid) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, mode_t(mode));
  archive_entry_set_uid(e, uid);
  archive_entry_set_gid(e, gid);
  archive_entry_set_size(e, la_int64_t(content.size()));
  add(e, content);
  return *this;
}

TarBuilder& TarBuilder::symlink(const std::string& name, const std::string& target) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFLNK);
  archive_entry_set_perm(e, 0777);
  archive_entry_set_symlink(e, target.c_str());
  add(e, "");
  return *this;
}

TarBuilder& TarBuilder::hardlink(const std::string& name, const std::string& target) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_hardlink(e, target.c_str());
  add(e, "");
  return *this;
}

TarBuilder& TarBuilder::dir_with_xattr(const std::string& name, const std::string& key, const std::string& value) {
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, AE_IFDIR);
  archive_entry_set_perm(e, 0755);
  archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
  add(e, "");
  return *this;
}

void zstd_file(const std::string& in, const std::string& out) {
  std::ifstream src(in, std::ios::binary);
  REQUIRE(src);
  std::string data((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  REQUIRE(archive_write_add_filter_zstd(a) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a, out.c_str()) == ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, la_int64_t(data.size()));
  REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
  REQUIRE(archive_write_data(a, data.data(), data.size()) == la_ssize_t(data.size()));
  archive_entry_free(e);
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
}

void make_busybox(const std::string& dir) {
  auto r = stack::testing::run(stack::testing::source_dir() + "/tests/support/mkbusybox " + dir);
  INFO(r.out);
  REQUIRE(r.status == 0);
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  Sha256 h;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) h.update(buf, size_t(in.gcount()));
  return h.hex();
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  REQUIRE(out.good());
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> find_names(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename().string().rfind(prefix, 0) == 0) out.push_back(it->path().string());
  }
  return out;
}

std::string tree_listing(const std::string& dir) {
  auto r = stack::testing::run("cd '" + dir + "' && find . -printf '%p %m %U %G %y %l\\n' | sort", false);
  REQUIRE(r.status == 0);
  return r.out;
}

}  // namespace stack::image::test
