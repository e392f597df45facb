#pragma once
// User and group lookup in an image's /etc/passwd and /etc/group (passwd(5), group(5)),
// done by the parent before the clone: the child only calls setgroups/setgid/setuid.
// Parsers take strings (style rule 11); read_image_user reads the files inside a rootfs.
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/result.hpp"
#include "engine/runtime/spec.hpp"

namespace stack::engine::runtime {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// Malformed lines are skipped, as libc does.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

struct ResolvedUser {
  User user;
  std::string home;  // from passwd; "/" when the user is not listed
};

// Docker's rules: "name" or "uid", optionally ":group" or ":gid". A numeric uid need
// not be listed; a name must be. The primary gid comes from passwd unless given; the
// additional gids are the groups that list the user as a member, then group_add.
Result<ResolvedUser> resolve_user(std::string_view spec, const std::vector<std::string>& group_add,
                                  const std::vector<PasswdEntry>& passwd, const std::vector<GroupEntry>& groups);

// Reads <rootfs>/etc/passwd and /etc/group without following symlinks out of the rootfs
// (openat2 RESOLVE_IN_ROOT); a missing file reads as empty.
Result<std::string> read_in_root(const std::string& rootfs, const std::string& path);

}  // namespace stack::engine::runtime
