#include "engine/state/layout.hpp"

#include <sys/un.h>

#include "engine/base/file.hpp"

namespace stack::state {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

std::string strip_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

Result<void> check_project_name(const std::string& name) {
  bool ok = !name.empty() && lower_alnum(name[0]);
  for (char c : name) ok = ok && (lower_alnum(c) || c == '_' || c == '-');
  if (!ok)
    return fail("invalid project name '" + name +
                "': must contain only lowercase letters, digits, '_' and '-', and start with a letter or digit");
  return {};
}

Result<void> check_container_name(const std::string& name) {
  bool ok = !name.empty() && alnum(name[0]);
  for (char c : name) ok = ok && (alnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok) return fail("invalid container name '" + name + "': must match [A-Za-z0-9][A-Za-z0-9_.-]*");
  return {};
}

Result<Layout> Layout::make(std::string root, std::string run_root, std::string project) {
  STACK_TRY(check_project_name(project));
  if (root.empty() || run_root.empty()) return fail("the state root and the run root must not be empty");
  Layout l(strip_slash(std::move(root)), strip_slash(std::move(run_root)), std::move(project));
  std::string sock = l.control_socket();
  if (sock.size() >= sizeof(sockaddr_un{}.sun_path))
    return fail("control socket path '" + sock + "' is " + std::to_string(sock.size()) +
                " bytes, longer than a unix socket address allows (" +
                std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + "); use a shorter --run-root");
  return l;
}

std::string Layout::stack_dir() const { return run_root_ + "/stacks/" + project_; }
std::string Layout::control_socket() const { return stack_dir() + "/control.sock"; }
std::string Layout::supervisor_pid() const { return stack_dir() + "/supervisor.pid"; }
std::string Layout::lock() const { return stack_dir() + "/lock"; }
std::string Layout::state_file() const { return stack_dir() + "/state.json"; }
std::string Layout::journal() const { return stack_dir() + "/journal"; }
std::string Layout::logs_dir() const { return root_ + "/stacks/" + project_ + "/logs"; }
std::string Layout::log_dir(const std::string& container) const { return logs_dir() + "/" + container; }
std::string Layout::log_file(const std::string& container) const {
  return log_dir(container) + "/" + container + "-json.log";
}

Result<void> Layout::ensure() const {
  STACK_TRY(make_dirs(run_root_ + "/stacks", 0755));
  STACK_TRY(make_dirs(stack_dir(), 0700));
  STACK_TRY(make_dirs(logs_dir(), 0755));
  spread_subdirs(logs_dir());  // one dir per container
  return {};
}

}  // namespace stack::state
