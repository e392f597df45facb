#include "engine/image/tree.hpp"

#include <ftw.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <utility>

namespace stack::image {
namespace {
thread_local int64_t g_size_total = 0;
thread_local std::set<std::pair<dev_t, ino_t>>* g_size_seen = nullptr;

int add_size(const char*, const struct stat* st, int type, FTW*) {
  if (type == FTW_F && S_ISREG(st->st_mode)) {
    if (st->st_nlink > 1 && !g_size_seen->insert({st->st_dev, st->st_ino}).second) return 0;
    g_size_total += st->st_size;
  }
  return 0;
}
}  // namespace

Result<int64_t> tree_size(const std::string& dir) {
  std::set<std::pair<dev_t, ino_t>> seen;
  g_size_seen = &seen;
  g_size_total = 0;
  int r = ::nftw(dir.c_str(), add_size, 32, FTW_PHYS);
  g_size_seen = nullptr;
  if (r != 0) return fail_errno("failed to walk '" + dir + "'");
  return g_size_total;
}

Result<void> remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // does not follow symlinks
  if (ec) return fail_errno(ec.value(), "failed to remove '" + path + "'");
  return {};
}

}  // namespace stack::image
