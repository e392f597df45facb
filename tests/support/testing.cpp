#include "tests/support/testing.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace stack::testing {

void skip(const std::string& why) {
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::fflush(stderr);
  std::_Exit(77);
}

void require_root() {
  if (::geteuid() != 0) skip("needs root (real namespaces, mounts and cgroups)");
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
  if (!::mkdtemp(tmpl.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string stack_binary() {
  const char* b = std::getenv("STACK_BINARY");
  return b ? b : "stack";
}

std::string source_dir() {
  const char* s = std::getenv("STACK_SOURCE_DIR");
  return s ? s : ".";
}

RunResult run(const std::string& shell_command, bool merge_stderr) {
  RunResult r;
  std::string cmd = shell_command + (merge_stderr ? " 2>&1" : "");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

}  // namespace stack::testing
