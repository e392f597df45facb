#include "engine/runtime/cleanup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "engine/base/boot_time.hpp"
#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/runtime/userns_pool.hpp"

namespace stack::engine::runtime {
namespace {

Result<void> remove_entries(int dirfd, dev_t dev, const std::string& where);

Result<void> remove_entry(int dirfd, const char* name, dev_t dev, const std::string& where) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? Result<void>() : fail_errno("stat " + where + "/" + name);
  if (S_ISDIR(st.st_mode)) {
    if (st.st_dev != dev) return fail("refusing to remove " + where + "/" + name + ": a mount point");
    UniqueFd sub(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return fail_errno("opening " + where + "/" + name);
    STACK_TRY(remove_entries(sub.get(), dev, where + "/" + name));
  }
  if (::unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    return fail_errno("removing " + where + "/" + name);
  return {};
}

Result<void> remove_entries(int dirfd, dev_t dev, const std::string& where) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail_errno("dup");
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    return fail_errno("reading " + where);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  while (dirent* e = ::readdir(d)) {
    if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
    STACK_TRY(remove_entry(dirfd, e->d_name, dev, where));
  }
  return {};
}

Result<void> undo_mount(const state::Record& r) {
  std::string target = r.data.value("target", "");
  if (::umount2(target.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmounting " + target);
  return {};
}

Result<void> undo_dir(const state::Record& r) {
  auto removed = remove_tree(r.data.value("path", ""));
  if (!removed) return unexpected(removed.error());
  return {};
}

Result<void> undo_file(const state::Record& r) {
  std::string path = r.data.value("path", "");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail_errno("removing " + path);
  return {};
}

Result<void> undo_userns(const state::Record& r) {
  auto released = release_userns_range(r.data.at("dir").get<std::string>(), r.data.at("owner").get<std::string>());
  if (!released) return unexpected(released.error());
  return {};
}

Result<void> undo_process(const state::Record& r) {
  int pid = r.data.value("pid", 0);
  uint64_t start = r.data.value("start", uint64_t{0});
  if (pid <= 0 || process_start_time(pid) != start) return {};  // gone, or the pid was reused
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return errno == ESRCH ? Result<void>() : fail_errno("pidfd_open " + std::to_string(pid));
  if (process_start_time(pid) != start) return {};
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
    return fail_errno("killing container process " + std::to_string(pid));
  pollfd p{pidfd.get(), POLLIN, 0};
  if (::poll(&p, 1, 10000) <= 0) return fail("container process " + std::to_string(pid) + " did not exit after SIGKILL");
  return {};
}

}  // namespace

uint64_t process_start_time(int pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
  auto pos = stat->rfind(')');
  if (pos == std::string::npos) return 0;
  const char* p = stat->c_str() + pos + 1;
  for (int field = 3; field < 22 && *p; ++field) {
    while (*p == ' ') ++p;
    while (*p && *p != ' ') ++p;
  }
  return std::strtoull(p, nullptr, 10);
}

Result<bool> remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("stat " + path);
  }
  if (S_ISDIR(st.st_mode)) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return fail_errno("opening " + path);
    struct stat self {};
    if (::fstat(fd.get(), &self) != 0) return fail_errno("stat " + path);
    // The parent dir's device: path itself being a mount point is refused too.
    struct stat parent {};
    std::string up = path.substr(0, path.rfind('/'));
    if (!up.empty() && ::stat(up.c_str(), &parent) == 0 && parent.st_dev != self.st_dev)
      return fail("refusing to remove " + path + ": it is a mount point");
    STACK_TRY(remove_entries(fd.get(), self.st_dev, path));
  }
  if ((S_ISDIR(st.st_mode) ? ::rmdir(path.c_str()) : ::unlink(path.c_str())) != 0 && errno != ENOENT)
    return fail_errno("removing " + path);
  return true;
}

std::map<std::string, state::Undo> undo_handlers() {
  return {{"mount", undo_mount}, {"dir", undo_dir}, {"file", undo_file}, {"process", undo_process},
          {"userns", undo_userns}};
}

Result<bool> remove_container_dir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("stat " + dir);
  }
  std::string journal_path = dir + "/journal";
  if (::access(journal_path.c_str(), F_OK) == 0) {
    auto journal = state::Journal::open(journal_path);
    if (!journal) return unexpected(journal.error().wrap("removing container " + dir));
    STACK_TRY_CTX(state::replay(*journal, undo_handlers()), "removing container " + dir);
    if (::unlink(journal_path.c_str()) != 0 && errno != ENOENT) return fail_errno("removing " + journal_path);
  }
  // Only the dir itself is left unless something unjournaled is in it: rmdir, not rm -r.
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return fail_errno("removing " + dir);
  return true;
}

Result<bool> remove_container_from_earlier_boot(const std::string& dir) {
  struct stat d {}, j {}, root {};
  if (::lstat(dir.c_str(), &d) != 0) {
    if (errno == ENOENT) return false;
    return fail_errno("stat " + dir);
  }
  if (!S_ISDIR(d.st_mode)) return false;
  if (::lstat((dir + "/rootfs").c_str(), &root) == 0 && root.st_dev != d.st_dev) return false;  // mounted: in use
  const struct stat& changed = ::lstat((dir + "/journal").c_str(), &j) == 0 ? j : d;
  auto boot = boot_time();
  if (!boot || *boot <= 0 || changed.st_mtim.tv_sec >= *boot) return false;
  STACK_TRY(remove_container_dir(dir));
  return true;
}

}  // namespace stack::engine::runtime
