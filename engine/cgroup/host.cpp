#include "engine/cgroup/host.hpp"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>

#include "engine/base/file.hpp"

namespace stack::cgroup {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash as \ooo (proc(5)).
std::string unescape_octal(std::string_view s) {
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += s[i];
  }
  return out;
}

const char* const kKnownControllers[] = {"cpu",     "cpuacct", "cpuset",  "memory",
                                         "devices", "freezer", "net_cls", "blkio",
                                         "perf_event", "net_prio", "hugetlb", "pids",
                                         "rdma",    "misc"};

bool is_controller(std::string_view opt) {
  for (const char* c : kKnownControllers)
    if (opt == c) return true;
  return false;
}

}  // namespace

Result<std::vector<CgroupMount>> parse_cgroup_mounts(std::string_view mountinfo) {
  std::vector<CgroupMount> out;
  int line_no = 0;
  for (std::string_view line : split(mountinfo, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    // "36 35 98:0 /root /mnt opts optional-fields - fstype source super-opts" (proc(5))
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos)
      return fail("mountinfo line " + std::to_string(line_no) + " has no ' - ' separator");
    auto left = split(line.substr(0, dash), ' ');
    auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 6 || right.size() < 3)
      return fail("mountinfo line " + std::to_string(line_no) + " has too few fields");
    std::string_view fstype = right[0];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.root = unescape_octal(left[3]);
    m.mount_point = unescape_octal(left[4]);
    m.v2 = fstype == "cgroup2";
    if (!m.v2)
      for (std::string_view opt : split(right[2], ','))
        if (is_controller(opt)) m.controllers.emplace_back(opt);
    std::sort(m.controllers.begin(), m.controllers.end());
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// The first good read of a /proc/self file, kept for the process (host.hpp says why).
template <class T>
class ReadOnce {
 public:
  template <class Read>
  Result<T> get(Read&& read) {
    std::lock_guard lock(mu_);
    if (value_) return *value_;
    auto r = read();
    if (r) value_ = *r;
    return r;
  }

 private:
  std::mutex mu_;
  std::optional<T> value_;
};

constexpr const char* kSelfMountinfo = "/proc/self/mountinfo";
constexpr const char* kSelfCgroup = "/proc/self/cgroup";

// A file read and parsed, its parse errors naming it.
template <class T>
Result<T> read_parsed(const std::string& path, Result<T> (*parse)(std::string_view)) {
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  auto r = parse(*text);
  if (!r) return unexpected(r.error().wrap("parsing '" + path + "'"));
  return r;
}

}  // namespace

Result<std::vector<CgroupMount>> read_cgroup_mounts(const std::string& path) {
  if (path != kSelfMountinfo) return read_parsed(path, parse_cgroup_mounts);
  static ReadOnce<std::vector<CgroupMount>> once;
  return once.get([&] { return read_parsed(path, parse_cgroup_mounts); });
}

Result<std::vector<ProcCgroup>> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroup> out;
  int line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos)
      return fail("cgroup line " + std::to_string(line_no) + " is not 'id:controllers:path'");
    ProcCgroup p;
    std::string_view id = line.substr(0, c1);
    auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), p.hierarchy_id);
    if (ec != std::errc() || ptr != id.data() + id.size())
      return fail("cgroup line " + std::to_string(line_no) + " has a bad hierarchy id");
    std::string_view ctl = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctl.empty())
      for (std::string_view c : split(ctl, ',')) p.controllers.emplace_back(c);
    std::sort(p.controllers.begin(), p.controllers.end());
    p.path = std::string(line.substr(c2 + 1));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<ProcCgroup>> read_proc_cgroup(const std::string& path) {
  if (path != kSelfCgroup) return read_parsed(path, parse_proc_cgroup);
  static ReadOnce<std::vector<ProcCgroup>> once;
  return once.get([&] { return read_parsed(path, parse_proc_cgroup); });
}

namespace {

// The directory of `path` (from /proc/self/cgroup) under a mount of hierarchy root `root`.
Result<std::string> dir_under(const CgroupMount& m, const std::string& path) {
  std::string rel;
  if (m.root == "/") {
    rel = path;
  } else if (path == m.root) {
    rel = "/";
  } else if (path.compare(0, m.root.size() + 1, m.root + "/") == 0) {
    rel = path.substr(m.root.size());
  } else {
    return fail("this process's cgroup '" + path + "' is not below the root '" + m.root +
                "' mounted at '" + m.mount_point + "'");
  }
  if (rel == "/") return m.mount_point;
  return m.mount_point + rel;
}

}  // namespace

Result<HostLayout> make_layout(const std::vector<CgroupMount>& mounts,
                               const std::vector<ProcCgroup>& self) {
  HostLayout layout;
  for (const CgroupMount& m : mounts) {
    for (const ProcCgroup& p : self) {
      if (m.v2 && p.hierarchy_id == 0 && !layout.unified_dir) {
        auto dir = dir_under(m, p.path);
        if (!dir) return unexpected(dir.error());
        layout.unified_dir = *dir;
        layout.unified_mount = m.mount_point;
      }
      if (m.v2 || m.controllers.empty() || p.controllers != m.controllers) continue;
      auto dir = dir_under(m, p.path);
      if (!dir) return unexpected(dir.error());
      for (const std::string& c : m.controllers) {
        layout.v1_dirs.emplace(c, *dir);
        layout.v1_mounts.emplace(c, m.mount_point);
      }
    }
  }
  if (!layout.v1_dirs.empty())
    layout.mode = layout.unified_dir ? Mode::kHybrid : Mode::kLegacy;
  else if (layout.unified_dir)
    layout.mode = Mode::kUnified;
  else
    return fail("no cgroup or cgroup2 filesystem is mounted (or none matches /proc/self/cgroup)");
  return layout;
}

Result<HostLayout> read_host_layout() {
  auto mounts = read_cgroup_mounts();
  if (!mounts) return unexpected(mounts.error());
  auto self = read_proc_cgroup();
  if (!self) return unexpected(self.error());
  return make_layout(*mounts, *self);
}

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kUnified: return "unified (cgroup v2)";
    case Mode::kLegacy: return "legacy (cgroup v1)";
    case Mode::kHybrid: return "hybrid (cgroup v1 controllers + cgroup2)";
  }
  return "?";
}

}  // namespace stack::cgroup
