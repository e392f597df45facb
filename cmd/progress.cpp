#include "cmd/progress.hpp"

#include <cstdio>

namespace stack::cli {

namespace {
bool quiet = false;
}

Result<void> set_progress(const std::string& mode) {
  if (mode == "auto" || mode == "tty" || mode == "plain") {
    quiet = false;
    return {};
  }
  if (mode == "quiet") {
    quiet = true;
    return {};
  }
  if (mode == "json") return fail("--progress json is not supported: use auto, tty, plain or quiet");
  return fail("invalid --progress '" + mode + "': want auto, tty, plain or quiet");
}

void progress_done(const std::string& object, const std::string& status) {
  if (quiet) return;
  std::printf(" \u2714 %s  %s\n", object.c_str(), status.c_str());
  std::fflush(stdout);
}

void progress_failed(const std::string& object, const std::string& why) {
  if (!why.empty()) {
    if (quiet) std::fprintf(stderr, "stack: %s: %s\n", object.c_str(), why.c_str());
    else std::fprintf(stderr, " \u2718 %s  Error: %s\n", object.c_str(), why.c_str());
    return;
  }
  if (quiet) return;
  std::printf(" \u2718 %s  Error\n", object.c_str());
  std::fflush(stdout);
}

}  // namespace stack::cli
