#pragma once
// Helpers for the cgroup integration tests: a test group that is killed and removed on
// scope exit, and a child that waits on a pipe until it has been placed in its group.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "engine/cgroup/driver.hpp"

namespace stack::cgroup::itest {

// The host's driver; skips the binary loudly unless root with the memory, cpu and pids
// controllers usable.
Driver& host_driver();

// "stack-itest-<pid>": every group these tests make lies below it, in every hierarchy.
std::string prefix();
// Directories named prefix() that exist right now in any hierarchy (the leak check).
std::vector<std::string> leftover_dirs();

// Creates prefix()/name; on scope exit kills what is left in it and removes the whole
// prefix() tree, so a failed test leaks nothing.
class TestGroup {
 public:
  explicit TestGroup(const std::string& name);
  ~TestGroup();
  TestGroup(const TestGroup&) = delete;
  TestGroup& operator=(const TestGroup&) = delete;
  const std::string& rel() const { return rel_; }

 private:
  std::string rel_;
};

// A child process placed into a group before it runs body (style.md rule 4: killed and
// reaped on scope exit unless waited for). v2/hybrid: clone3(CLONE_INTO_CGROUP) with the
// driver's directory fd, and (hybrid) the child writes "0" into the v1 join files;
// v1: fork, place_pid while it waits on a pipe.
class Child {
 public:
  Child(Driver& driver, const std::string& rel, std::function<void()> body);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  bool cloned_into_cgroup() const { return cloned_into_; }
  // Waits for the child; returns the raw wait status.
  int wait();

 private:
  pid_t pid_ = -1;
  bool cloned_into_ = false;
};

// A process's own view of its cgroup for one controller, from /proc/<pid>/cgroup.
std::string cgroup_of(pid_t pid, const std::string& controller);

}  // namespace stack::cgroup::itest

namespace stack::cgroup::itest {
// The path of a control file of rel, for a controller (v1: in that hierarchy; v2: the
// one group directory).
std::string file_of(const std::string& controller, const std::string& rel, const std::string& file);
// Its content without the trailing newline ("" if unreadable).
std::string read_trimmed(const std::string& path);
}  // namespace stack::cgroup::itest
