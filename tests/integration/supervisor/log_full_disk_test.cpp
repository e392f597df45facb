// A full disk under the log: a tiny tmpfs in a private mount namespace of a child
// process, so no mount can leak into the host (the namespace dies with the child).
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>

#include "engine/base/file.hpp"
#include "engine/supervisor/log_file.hpp"
#include "tests/support/testing.hpp"

using namespace stack::supervisor;

namespace {

// Runs body in a forked child; returns its exit code (0 = all its checks held).
template <typename F>
int in_child(F body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(body());
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define CHILD_CHECK(cond)                                                   \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "child check failed line %d: %s\n", __LINE__, #cond); \
      return 1;                                                             \
    }                                                                       \
  } while (0)

int count_valid_lines(const std::string& path, bool& all_valid) {
  auto text = stack::read_file(path);
  all_valid = static_cast<bool>(text);
  if (!text) return -1;
  all_valid = text->empty() || text->back() == '\n';
  std::istringstream in(*text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (!parse_log_line(line)) all_valid = false;
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a full disk is reported, leaves no torn line, and logging resumes when space frees") {
  stack::testing::require_root();
  stack::testing::TempDir dir("stack-sup-" + std::to_string(::getpid()));
  int rc = in_child([&]() -> int {
    CHILD_CHECK(::unshare(CLONE_NEWNS) == 0);
    CHILD_CHECK(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0);
    CHILD_CHECK(::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=64k") == 0);
    std::string path = dir.path() + "/c-json.log";
    std::string filler = dir.path() + "/filler";
    auto f = LogFile::open(path, {});
    CHILD_CHECK(f);
    std::string text(200, 'x');
    bool failed = false;
    stack::Error err;
    for (int i = 0; i < 2000 && !failed; ++i) {
      auto r = (*f)->append({text + std::to_string(i), true}, "stdout", i);
      if (r) r = (*f)->flush();
      if (!r) {
        failed = true;
        err = r.error();
      }
    }
    CHILD_CHECK(failed);
    CHILD_CHECK(err.code == ENOSPC);
    CHILD_CHECK(err.message.find("c-json.log") != std::string::npos);
    CHILD_CHECK((*f)->dropped_lines() >= 1);
    bool valid = false;
    int before = count_valid_lines(path, valid);
    CHILD_CHECK(valid);  // the torn part of the failed batch was cut off
    CHILD_CHECK(before > 100);
    // Space comes back (here: the log is emptied); the next batch must land whole.
    CHILD_CHECK(::truncate(path.c_str(), 0) == 0);
    auto g = LogFile::open(path, {});
    CHILD_CHECK(g);
    CHILD_CHECK((*g)->append({"after", true}, "stdout", 0));
    CHILD_CHECK((*g)->flush());
    CHILD_CHECK(count_valid_lines(path, valid) == 1 && valid);
    f->reset();
    g->reset();
    CHILD_CHECK(::umount(dir.path().c_str()) == 0);
    return 0;
  });
  CHECK(rc == 0);
}
