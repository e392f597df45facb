#include "tests/integration/cgroup/support.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/cgroup/fs.hpp"
#include "engine/cgroup/host.hpp"
#include "tests/support/testing.hpp"

namespace stack::cgroup::itest {

Driver& host_driver() {
  static std::unique_ptr<Driver> driver = [] {
    testing::require_root();
    auto d = make_host_driver();
    if (!d) testing::skip("no cgroup driver for this host: " + d.error().message);
    Limits probe;
    probe.memory = 64 << 20;
    probe.cpu_quota_us = 50000;
    probe.pids = 20;
    auto ok = (*d)->check(probe, Enforcement::kStrict);
    if (!ok) testing::skip("this host cannot run the cgroup tests: " + ok.error().message);
    // On a v2 host whose starting group holds processes, controllers cannot be delegated
    // below it ("no internal processes"): that is a host set-up, not a failure here.
    auto probe_group = (*d)->create(prefix() + "/probe");
    if (!probe_group) testing::skip("cannot create test cgroups here: " + probe_group.error().message);
    (void)(*d)->remove(prefix());
    std::fprintf(stderr, "cgroup mode: %s\n", mode_name((*d)->mode()));
    return std::move(*d);
  }();
  return *driver;
}

std::string prefix() { return "stack-itest-" + std::to_string(::getpid()); }

std::vector<std::string> leftover_dirs() {
  std::vector<std::string> out;
  auto layout = read_host_layout();
  if (!layout) return out;
  std::vector<std::string> bases;
  for (const auto& [c, dir] : layout->v1_dirs) bases.push_back(dir);
  if (layout->unified_dir) bases.push_back(*layout->unified_dir);
  if (layout->unified_mount) bases.push_back(*layout->unified_mount);  // a v2 driver's base
  for (const std::string& b : bases)
    if (fs::exists(b + "/" + prefix())) out.push_back(b + "/" + prefix());
  return out;
}

TestGroup::TestGroup(const std::string& name) : rel_(prefix() + "/" + name) {
  auto r = host_driver().create(rel_);
  if (!r) {
    std::fprintf(stderr, "creating %s: %s\n", rel_.c_str(), r.error().message.c_str());
    std::abort();
  }
}

TestGroup::~TestGroup() {
  Driver& d = host_driver();
  auto k = d.kill_all(prefix());
  if (!k) std::fprintf(stderr, "cleanup kill_all %s: %s\n", rel_.c_str(), k.error().message.c_str());
  auto r = d.remove(prefix());
  if (!r) std::fprintf(stderr, "cleanup remove %s: %s\n", rel_.c_str(), r.error().message.c_str());
}

Child::Child(Driver& driver, const std::string& rel, std::function<void()> body) {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) std::abort();
  auto fd = driver.clone_into_fd(rel);
  if (!fd) {
    std::fprintf(stderr, "clone_into_fd: %s\n", fd.error().message.c_str());
    std::abort();
  }
  // v2/hybrid: cloned into the cgroup2 group; hybrid: the v1 groups joined by the child
  // itself, as containers do (Driver::join_files). v1: place_pid.
  std::vector<int> join;
  if (fd->valid())
    for (const std::string& f : driver.join_files(rel)) {
      int j = ::open(f.c_str(), O_WRONLY | O_CLOEXEC);
      if (j < 0) {
        std::perror(f.c_str());
        std::abort();
      }
      join.push_back(j);
    }
  if (fd->valid()) {
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(fd->get());
    pid_ = static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
    cloned_into_ = true;
  } else {
    pid_ = ::fork();
  }
  if (pid_ < 0) {
    std::perror("clone3/fork");
    std::abort();
  }
  if (pid_ == 0) {
    ::close(go[1]);
    for (int j : join)
      if (::write(j, "0", 1) != 1) ::_exit(121);
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(120);  // the parent gave up: never run body
    body();
    ::_exit(0);
  }
  ::close(go[0]);
  for (int j : join) ::close(j);
  if (!cloned_into_) {
    auto placed = driver.place_pid(rel, pid_);
    if (!placed) {
      std::fprintf(stderr, "place_pid: %s\n", placed.error().message.c_str());
      ::close(go[1]);
      return;  // the child exits 120 without running body; the test sees it
    }
  }
  if (::write(go[1], "g", 1) != 1) std::perror("write go");
  ::close(go[1]);
}

int Child::wait() {
  int status = -1;
  if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) pid_ = -1;
  return status;
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::string cgroup_of(pid_t pid, const std::string& controller) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    auto c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    std::string ctl = line.substr(c1 + 1, c2 - c1 - 1);
    std::stringstream ss(ctl);
    std::string one;
    while (std::getline(ss, one, ','))
      if (one == controller) return line.substr(c2 + 1);
    if (ctl.empty() && controller.empty()) return line.substr(c2 + 1);
  }
  return "";
}

}  // namespace stack::cgroup::itest

namespace stack::cgroup::itest {

std::string file_of(const std::string& controller, const std::string& rel, const std::string& file) {
  static HostLayout layout = *read_host_layout();
  std::string base = layout.mode == Mode::kUnified ? *layout.unified_mount : layout.v1_dirs.at(controller);
  return base + "/" + rel + "/" + file;
}

std::string read_trimmed(const std::string& path) {
  auto v = fs::read_value(path);
  return v ? *v : "";
}

}  // namespace stack::cgroup::itest
