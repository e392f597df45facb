#include "network/nat_nft.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "engine/base/unique_fd.hpp"
#include "network/netns.hpp"

namespace stack::net {

namespace {

// Kills and reaps the child unless it was waited for (style.md rule 4).
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  Result<int> wait() {
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0) {
      if (errno != EINTR) return fail_errno("failed to wait for nft (pid " + std::to_string(pid_) + ")");
    }
    pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  pid_t pid_;
};

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("failed to write the script to nft");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::string> read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("failed to read nft's output");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::optional<std::string> find_nft() {
  std::string dirs = "/usr/sbin:/sbin:/usr/bin:/bin";
  if (const char* p = std::getenv("PATH")) dirs = std::string(p) + ":" + dirs;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string cand = dir + "/nft";
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Result<NftRun> run_nft(const std::string& nft, std::string_view script, const Netns* ns) {
  int in[2], out[2];
  // stdin is a socket so that a write after nft died early fails with EPIPE instead
  // of raising SIGPIPE in the whole process (send(2) MSG_NOSIGNAL).
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
    return fail_errno("failed to create a socket pair for nft");
  UniqueFd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return fail_errno("failed to create a pipe for nft");
  UniqueFd out_r(out[0]), out_w(out[1]);
  // A daemon may have closed 0-2; then a new fd could already sit where the child's
  // dup2 would put another one (and dup2 onto itself keeps FD_CLOEXEC). Keep ours above.
  for (UniqueFd* fd : {&in_r, &in_w, &out_r, &out_w}) {
    if (fd->get() > 2) continue;
    int moved = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return fail_errno("failed to move a pipe fd for nft");
    fd->reset(moved);
  }
  // Everything the child touches is prepared here: after fork in a threaded process
  // it may only make system calls (fork(2), signal-safety(7)).
  std::vector<char*> argv{const_cast<char*>(nft.c_str()), const_cast<char*>("-f"), const_cast<char*>("-"), nullptr};
  // C locale: delete_nat_table recognises nft's strerror text for ENOENT.
  std::vector<char*> envp{const_cast<char*>("LC_ALL=C"), const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                          nullptr};
  const int ns_fd = ns ? ns->fd() : -1;
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("failed to fork for nft");
  if (pid == 0) {
    if (ns_fd >= 0 && ::setns(ns_fd, CLONE_NEWNET) != 0) ::_exit(126);
    if (::dup2(in_r.get(), 0) < 0 || ::dup2(out_w.get(), 1) < 0 || ::dup2(out_w.get(), 2) < 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ChildGuard child(pid);
  in_r.reset();
  out_w.reset();
  auto wrote = write_all(in_w.get(), script);
  in_w.reset();
  auto text = read_all(out_r.get());
  auto status = child.wait();
  if (!status) return unexpected(std::move(status).error());
  if (!text) return unexpected(std::move(text).error());
  NftRun r{*status, std::move(*text)};
  if (r.status == 126) r.output += "could not enter " + (ns ? ns->label() : std::string("netns")) + " or set up stdio";
  if (!wrote && r.status == 0) return unexpected(std::move(wrote).error());
  return r;
}

}  // namespace stack::net
