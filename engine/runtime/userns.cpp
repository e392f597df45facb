#include "engine/runtime/userns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "engine/base/file.hpp"

namespace stack::engine::runtime {
namespace {

// user_namespaces(7): at most 340 lines per map since Linux 4.15.
constexpr size_t kMaxMapLines = 340;

Result<void> check_maps(const std::vector<IdMap>& maps, const char* what) {
  if (maps.empty()) return fail(std::string("a user namespace needs a ") + what + " mapping");
  if (maps.size() > kMaxMapLines) return fail(std::string("more than 340 ") + what + " mappings");
  for (size_t i = 0; i < maps.size(); ++i) {
    const IdMap& m = maps[i];
    auto desc = [&] {
      return std::string(what) + " mapping " + std::to_string(m.container_id) + ":" + std::to_string(m.host_id) + ":" +
             std::to_string(m.size);
    };
    if (m.size == 0) return fail(desc() + " is empty");
    if (uint64_t{m.container_id} + m.size > (1ULL << 32) || uint64_t{m.host_id} + m.size > (1ULL << 32))
      return fail(desc() + " goes past id 4294967295");
    for (size_t j = 0; j < i; ++j) {
      const IdMap& o = maps[j];
      bool in_overlap = m.container_id < o.container_id + o.size && o.container_id < m.container_id + m.size;
      bool host_overlap = m.host_id < o.host_id + o.size && o.host_id < m.host_id + m.size;
      if (in_overlap || host_overlap) return fail(desc() + " overlaps another one");
    }
  }
  if (!host_id(maps, 0)) return fail(std::string(what) + " 0 (the container's root) is not mapped");
  return {};
}

Result<void> write_map(pid_t pid, const char* file, const std::vector<IdMap>& maps) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + path);
  // The kernel takes the whole map in one write(2) and refuses a second one.
  std::string text = format_id_map(maps);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    return fail_errno("writing " + path + " (" + std::to_string(maps.size()) + " lines)");
  return {};
}

// The helper blocks on a pipe until the parent has what it needs; reaped on scope exit.
struct Helper {
  pid_t pid = -1;
  UniqueFd release;
  ~Helper() {
    if (pid <= 0) return;
    release.reset();  // EOF: the helper exits
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
};

}  // namespace

bool wants_userns(const Spec& spec) { return has_namespace(spec, NamespaceType::kUser); }

Result<void> check_userns(const Spec& spec) {
  if (!wants_userns(spec)) {
    if (!spec.uid_mappings.empty() || !spec.gid_mappings.empty())
      return fail("uid/gid mappings are given but no user namespace is asked for");
    return {};
  }
  for (const auto& n : spec.namespaces) {
    if (n.type == NamespaceType::kUser && !n.path.empty())
      return fail("joining an existing user namespace is not supported");
    if (!n.path.empty())
      return fail("a container with its own user namespace cannot join the namespace " + n.path +
                  " (setns(2) needs CAP_SYS_ADMIN where that namespace was made)");
  }
  STACK_TRY(check_maps(spec.uid_mappings, "uid"));
  STACK_TRY(check_maps(spec.gid_mappings, "gid"));
  return {};
}

std::string format_id_map(const std::vector<IdMap>& maps) {
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
  return out;
}

std::optional<uint32_t> host_id(const std::vector<IdMap>& maps, uint32_t id) {
  for (const auto& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return m.host_id + (id - m.container_id);
  return std::nullopt;
}

Result<void> write_id_maps(pid_t pid, const std::vector<IdMap>& uids, const std::vector<IdMap>& gids) {
  STACK_TRY_CTX(write_map(pid, "uid_map", uids), "setting the container's uid mapping");
  STACK_TRY_CTX(write_map(pid, "gid_map", gids), "setting the container's gid mapping");
  return {};
}

Result<std::vector<UniqueFd>> open_mount_sources(ChildPlan& plan) {
  std::vector<UniqueFd> fds;
  for (auto& op : plan.ops) {
    if (op.kind != OpKind::kMount || !(op.flags & MS_BIND) || op.source.empty() || op.source[0] != '/') continue;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((op.flags & MS_REC) ? AT_RECURSIVE : 0);
    UniqueFd fd(::open_tree(AT_FDCWD, op.source.c_str(), flags));
    if (!fd) return fail_errno("open_tree of bind mount source " + op.source);
    op.source_fd = fd.get();
    fds.push_back(std::move(fd));
  }
  return fds;
}

Result<UniqueFd> make_userns_fd(const std::vector<IdMap>& uids, const std::vector<IdMap>& gids) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe2");
  UniqueFd wait_end(p[0]);
  Helper h;
  h.release.reset(p[1]);
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    // Only system calls here: the caller may have threads (style rule 6).
    ::close(p[1]);
    char c;
    while (::read(p[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  if (pid < 0) return fail_errno("clone(CLONE_NEWUSER) of the id-mapping helper");
  h.pid = static_cast<pid_t>(pid);
  STACK_TRY_CTX(write_id_maps(h.pid, uids, gids), "making the user namespace for idmapped mounts");
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd fd(::open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("opening " + ns);
  return fd;
}

}  // namespace stack::engine::runtime
