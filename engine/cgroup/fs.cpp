#include "engine/cgroup/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::cgroup::fs {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<void> write_value(const std::string& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("failed to open '" + path + "' for writing");
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("failed to write '" + std::string(value) + "' to '" + path + "'");
  return {};
}

Result<std::string> read_value(const std::string& path) {
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return text;
}

namespace {
std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}
}  // namespace

Result<uint64_t> read_u64(const std::string& path) {
  auto text = read_value(path);
  if (!text) return unexpected(text.error());
  auto v = to_u64(*text);
  if (!v) return fail("'" + path + "' does not hold a number: '" + *text + "'");
  return *v;
}

std::optional<uint64_t> parse_keyed(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return to_u64(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

Result<std::optional<uint64_t>> read_keyed(const std::string& path, std::string_view key) {
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  return parse_keyed(*text, key);
}

std::vector<pid_t> parse_procs(std::string_view text) {
  std::vector<pid_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (auto v = to_u64(text.substr(pos, end - pos))) out.push_back(static_cast<pid_t>(*v));
    pos = end + 1;
  }
  return out;
}

Result<std::vector<pid_t>> read_procs(const std::string& dir) {
  auto text = read_file(dir + "/cgroup.procs");
  if (!text) return unexpected(text.error());
  return parse_procs(*text);
}

namespace {
Result<void> post_order(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return {};  // removed under us: nothing below
    return fail_errno("failed to list '" + dir + "'");
  }
  std::vector<std::string> children;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (e->d_type == DT_DIR && name != "." && name != "..") children.push_back(dir + "/" + e->d_name);
  }
  ::closedir(d);
  std::sort(children.begin(), children.end());
  for (const std::string& c : children) STACK_TRY(post_order(c, out));
  out.push_back(dir);
  return {};
}
}  // namespace

Result<std::vector<std::string>> subtree_post_order(const std::string& dir) {
  std::vector<std::string> out;
  if (!exists(dir)) return out;
  STACK_TRY(post_order(dir, out));
  return out;
}

Result<bool> make_below(const std::string& base, const std::string& rel,
                        const std::function<Result<void>(const std::string&, const std::string&)>& before_mkdir,
                        const std::function<Result<void>(const std::string&)>& on_new) {
  // Without a hook before each mkdir, the group itself first: a container's parents
  // exist but for the first one, and each mkdir that finds one costs a path walk under
  // the kernel's kernfs locks (8 hierarchies x 2 parents per container on v1).
  if (!before_mkdir && !rel.empty()) {
    std::string dir = base + "/" + rel;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      if (on_new) STACK_TRY(on_new(dir));
      return true;
    }
    if (errno == EEXIST) return false;
    if (errno != ENOENT) return fail_errno("failed to create cgroup '" + dir + "'");
  }
  std::string parent = base;
  bool created = false;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    std::string dir = parent + "/" + rel.substr(start, end - start);
    if (before_mkdir) STACK_TRY(before_mkdir(parent, dir));
    created = false;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      created = true;
      if (on_new) STACK_TRY(on_new(dir));
    } else if (errno != EEXIST) {
      return fail_errno("failed to create cgroup '" + dir + "'");
    }
    parent = dir;
    start = end + 1;
  }
  return created;
}

Result<void> prune_empty(const std::string& base, const std::string& rel) {
  std::string r = rel;
  while (!r.empty()) {
    std::string dir = base + "/" + r;
    if (::rmdir(dir.c_str()) != 0) {
      if (errno == EBUSY || errno == ENOTEMPTY) return {};
      if (errno != ENOENT) return fail_errno("failed to remove cgroup '" + dir + "'");
    }
    auto slash = r.find_last_of('/');
    r = slash == std::string::npos ? std::string() : r.substr(0, slash);
  }
  return {};
}

Result<bool> remove_tree(const std::string& dir) {
  // Most groups are leaves by now: one rmdir, no walk (a group with children or live
  // tasks says EBUSY, and the walk below takes it leaf first).
  if (::rmdir(dir.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  auto dirs = subtree_post_order(dir);
  if (!dirs) return unexpected(dirs.error());
  if (dirs->empty()) return false;
  bool removed_top = false;
  for (const std::string& d : *dirs) {
    // EBUSY: tasks are still exiting (cgroup-v2.rst: a cgroup with live processes or
    // children cannot be removed); retry for up to ~1 s (200 x 5 ms).
    int attempts = 0;
    bool removed = true;
    while (::rmdir(d.c_str()) != 0) {
      if (errno == ENOENT) {
        removed = false;
        break;
      }
      if (errno != EBUSY || ++attempts > 200)
        return fail_errno("failed to remove cgroup '" + d + "'");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (d == dir) removed_top = removed;
  }
  return removed_top;
}

}  // namespace stack::cgroup::fs
