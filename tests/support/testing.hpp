#pragma once
// Helpers shared by the test tiers.
#include <string>

namespace stack::testing {

// Exits the whole test binary with 77 (ctest: skipped), saying why, loudly.
[[noreturn]] void skip(const std::string& why);
// Skips unless running as root with the named capability of the real kernel.
void require_root();

// A temporary directory removed (recursively, unmounting nothing) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "stack-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The built `stack` binary (from ctest's environment) and the source tree.
std::string stack_binary();
std::string source_dir();

// Runs a shell command; returns its exit status and captures stdout (+stderr if asked).
struct RunResult {
  int status = -1;
  std::string out;
};
RunResult run(const std::string& shell_command, bool merge_stderr = true);

}  // namespace stack::testing
