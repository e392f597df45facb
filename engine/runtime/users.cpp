#include "engine/runtime/users.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "engine/base/unique_fd.hpp"

namespace stack::engine::runtime {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

std::optional<uint32_t> number(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename F>
void for_each_line(std::string_view text, F f) {
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    f(line);
  }
}

Result<gid_t> group_id(std::string_view g, const std::vector<GroupEntry>& groups) {
  if (auto n = number(g)) return *n;
  for (const auto& e : groups)
    if (e.name == g) return e.gid;
  return fail("no group '" + std::string(g) + "' in the image's /etc/group");
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = split(line, ':');
    if (f.size() < 7) return;
    auto uid = number(f[2]);
    auto gid = number(f[3]);
    if (f[0].empty() || !uid || !gid) return;
    out.push_back({std::string(f[0]), *uid, *gid, std::string(f[5])});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_line(text, [&](std::string_view line) {
    auto f = split(line, ':');
    if (f.size() < 4) return;
    auto gid = number(f[2]);
    if (f[0].empty() || !gid) return;
    GroupEntry e{std::string(f[0]), *gid, {}};
    if (!f[3].empty())
      for (auto m : split(f[3], ','))
        if (!m.empty()) e.members.emplace_back(m);
    out.push_back(std::move(e));
  });
  return out;
}

Result<ResolvedUser> resolve_user(std::string_view spec, const std::vector<std::string>& group_add,
                                  const std::vector<PasswdEntry>& passwd, const std::vector<GroupEntry>& groups) {
  std::string_view user_part = spec.substr(0, spec.find(':'));
  std::optional<std::string_view> group_part;
  if (spec.find(':') != std::string_view::npos) group_part = spec.substr(spec.find(':') + 1);
  if (user_part.empty()) user_part = "0";

  ResolvedUser r;
  r.home = "/";
  const PasswdEntry* entry = nullptr;
  auto uid = number(user_part);
  for (const auto& e : passwd)
    if ((uid && e.uid == *uid) || (!uid && e.name == user_part)) {
      entry = &e;
      break;
    }
  if (!uid && !entry) return fail("no user '" + std::string(user_part) + "' in the image's /etc/passwd");
  r.user.uid = uid ? *uid : entry->uid;
  r.user.gid = entry ? entry->gid : 0;
  if (entry && !entry->home.empty()) r.home = entry->home;
  if (group_part) {
    auto g = group_id(*group_part, groups);
    if (!g) return unexpected(g.error());
    r.user.gid = *g;
  }
  if (entry && !group_part) {
    for (const auto& g : groups)
      if (std::find(g.members.begin(), g.members.end(), entry->name) != g.members.end() && g.gid != r.user.gid)
        r.user.additional_gids.push_back(g.gid);
  }
  for (const auto& name : group_add) {
    auto g = group_id(name, groups);
    if (!g) return unexpected(g.error().wrap("group_add"));
    if (std::find(r.user.additional_gids.begin(), r.user.additional_gids.end(), *g) == r.user.additional_gids.end())
      r.user.additional_gids.push_back(*g);
  }
  return r;
}

Result<std::string> read_in_root(const std::string& rootfs, const std::string& path) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("opening rootfs " + rootfs);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.get(), path.c_str(), &how, sizeof how)));
  if (!fd) {
    if (errno == ENOENT) return std::string();
    return fail_errno("opening " + path + " in the image");
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) return fail_errno("reading " + path + " in the image");
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (16u << 20)) return fail(path + " in the image is over 16 MiB");
  }
}

}  // namespace stack::engine::runtime
