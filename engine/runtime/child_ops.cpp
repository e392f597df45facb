#include "engine/runtime/child_ops.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "engine/runtime/sys.hpp"

namespace stack::engine::runtime::child {
namespace {

// An fd from resolve() (or -errno), closed on scope exit (no allocation).
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) sys::call(SYS_close, fd);
  }
  int err() const { return -fd; }  // when fd < 0
};

// 0 or the positive errno of a system call's result.
int error_of(long rc) { return rc < 0 ? static_cast<int>(-rc) : 0; }

int make_in(int root, const ChildOp& op) {
  Fd parent{resolve(root, op.parent.c_str(), O_PATH | O_DIRECTORY)};
  if (parent.fd < 0) return parent.err();
  long rc = 0;
  switch (op.kind) {
    case OpKind::kMkdir: rc = sys::call(SYS_mkdirat, parent.fd, op.name.c_str(), op.mode); break;
    case OpKind::kMkfile: rc = sys::call(SYS_mknodat, parent.fd, op.name.c_str(), S_IFREG | op.mode, 0); break;
    case OpKind::kSymlink: rc = sys::call(SYS_symlinkat, op.source.c_str(), parent.fd, op.name.c_str()); break;
    default: return EINVAL;
  }
  return rc == -EEXIST ? 0 : error_of(rc);
}

int do_mount(int root, const ChildOp& op) {
  Fd target{resolve(root, op.path.c_str(), O_PATH)};
  if (target.fd < 0) return target.err();
  if (op.source_fd >= 0)
    return error_of(sys::call(SYS_move_mount, op.source_fd, "", target.fd, "",
                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
  char buf[32];
  const char* src = op.source.empty() ? nullptr : op.source.c_str();
  const char* type = op.fstype.empty() ? nullptr : op.fstype.c_str();
  const char* data = op.data.empty() ? nullptr : op.data.c_str();
  return error_of(sys::call(SYS_mount, src, fd_path(target.fd, buf), type, op.flags, data));
}

int bind_remount(int root, const char* path, unsigned long flags) {
  Fd target{resolve(root, path, O_PATH)};
  if (target.fd < 0) return target.err();
  char buf[32];
  return error_of(sys::call(SYS_mount, nullptr, fd_path(target.fd, buf), nullptr, MS_BIND | MS_REMOUNT | flags, nullptr));
}

int mask(int root, const ChildOp& op) {
  Fd target{resolve(root, op.path.c_str(), O_PATH)};
  if (target.fd < 0) return target.fd == -ENOENT ? 0 : target.err();
  struct stat st {};
  if (long rc = sys::call(SYS_newfstatat, target.fd, "", &st, AT_EMPTY_PATH); rc < 0) return error_of(rc);
  char buf[32];
  long rc = S_ISDIR(st.st_mode)
                ? sys::call(SYS_mount, "tmpfs", fd_path(target.fd, buf), "tmpfs",
                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                : sys::call(SYS_mount, "/dev/null", fd_path(target.fd, buf), nullptr, MS_BIND, nullptr);
  return error_of(rc);
}

int make_readonly(int root, const ChildOp& op) {
  {
    Fd target{resolve(root, op.path.c_str(), O_PATH)};
    if (target.fd < 0) return target.fd == -ENOENT ? 0 : target.err();
    char buf[32];
    if (long rc = sys::call(SYS_mount, fd_path(target.fd, buf), buf, nullptr, MS_BIND | MS_REC, nullptr); rc < 0)
      return error_of(rc);
  }
  return bind_remount(root, op.path.c_str(), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

int write_sysctl(int root, const ChildOp& op) {
  Fd f{resolve(root, op.path.c_str(), O_WRONLY | O_TRUNC)};
  if (f.fd < 0) return f.err();
  long n = sys::call(SYS_write, f.fd, op.source.data(), op.source.size());
  if (n < 0) return error_of(n);
  return static_cast<size_t>(n) == op.source.size() ? 0 : EIO;
}

}  // namespace

int resolve(int root, const char* path, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(sys::call(SYS_openat2, root, path, &how, sizeof how));
}

const char* fd_path(int fd, char* buf) {
  static constexpr char kPrefix[] = "/proc/self/fd/";
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v && n < 15);
  int i = 0;
  for (; kPrefix[i]; ++i) buf[i] = kPrefix[i];
  while (n) buf[i++] = digits[--n];
  buf[i] = '\0';
  return buf;
}

int run_op(int root, const ChildOp& op) {
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kMkfile:
    case OpKind::kSymlink: return make_in(root, op);
    case OpKind::kMount: return do_mount(root, op);
    case OpKind::kBindRemount: return bind_remount(root, op.path.c_str(), op.flags);
    case OpKind::kMask: return mask(root, op);
    case OpKind::kReadonly: return make_readonly(root, op);
    case OpKind::kSysctl: return write_sysctl(root, op);
  }
  return EINVAL;
}

}  // namespace stack::engine::runtime::child
