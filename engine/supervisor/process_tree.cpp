#include "engine/supervisor/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <string>

namespace stack::supervisor {

std::optional<pid_t> parse_stat_ppid(std::string_view stat) {
  auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) return std::nullopt;
  std::string_view rest = stat.substr(close + 2);  // "S 123 ..."
  auto sp = rest.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  rest = rest.substr(sp + 1);
  pid_t ppid = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  if (ec != std::errc() || (end != rest.data() + rest.size() && *end != ' ')) return std::nullopt;
  return ppid;
}

std::vector<pid_t> descendants_of(pid_t root, const std::multimap<pid_t, pid_t>& children) {
  std::vector<pid_t> out;
  std::vector<pid_t> parents{root};
  for (std::size_t i = 0; i < parents.size(); ++i) {
    auto [a, b] = children.equal_range(parents[i]);
    for (auto it = a; it != b; ++it) {
      out.push_back(it->second);
      parents.push_back(it->second);
    }
  }
  return out;
}

namespace {

std::multimap<pid_t, pid_t> read_children() {
  std::multimap<pid_t, pid_t> children;
  DIR* d = ::opendir("/proc");
  if (!d) return children;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    std::string_view name(e->d_name);
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size()) continue;
    int fd = ::open(("/proc/" + std::string(name) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // gone meanwhile
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) continue;
    if (auto ppid = parse_stat_ppid({buf, static_cast<std::size_t>(n)})) children.emplace(*ppid, pid);
  }
  ::closedir(d);
  return children;
}

}  // namespace

void kill_tree(pid_t pid, int pidfd) {
  for (pid_t p : descendants_of(pid, read_children())) ::kill(p, SIGKILL);
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
}

}  // namespace stack::supervisor
