#include "cmd/sibling.hpp"

#include <unistd.h>

namespace stack::cli {

Result<std::string> sibling_program(const std::string& name) {
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return fail_errno("readlink /proc/self/exe");
  std::string exe(self, static_cast<size_t>(n));
  return exe.substr(0, exe.find_last_of('/') + 1) + name;
}

}  // namespace stack::cli
