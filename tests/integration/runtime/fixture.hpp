#pragma once
// Shared set-up for the runtime's integration tests: a busybox layer made with
// tests/support/mkbusybox, a temporary --root, and a way to run a container with its
// output captured in a file.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "engine/runtime/container.hpp"
#include "engine/runtime/defaults.hpp"
#include "tests/support/testing.hpp"

namespace stack::testing {

struct RuntimeFixture {
  TempDir tmp{"stack-rt-" + std::to_string(::getpid())};
  std::string layer = tmp.path() + "/layer";
  std::string root = tmp.path() + "/root";
  int counter = 0;

  RuntimeFixture() {
    require_root();
    auto r = run(source_dir() + "/tests/support/mkbusybox " + layer);
    if (r.status != 0) {
      run("rm -rf " + tmp.path());  // skip() exits without running destructors
      skip("mkbusybox failed: " + r.out);
    }
  }

  engine::runtime::Spec spec(std::vector<std::string> args) const {
    auto s = engine::runtime::default_spec(std::move(args), {layer}, "box");
    s.image = "busybox:test";
    return s;
  }

  std::string next_id() { return "rt" + std::to_string(::getpid()) + "-" + std::to_string(++counter); }

  struct Output {
    engine::runtime::ExitStatus status;
    std::string out;
  };

  // Runs to exit with stdout+stderr in a file; the error of a failed launch otherwise.
  Result<Output> run_capture(engine::runtime::Spec s) {
    std::string path = tmp.path() + "/out-" + std::to_string(++counter);
    UniqueFd out(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    s.stdio = {in.get(), out.get(), out.get()};
    auto st = engine::runtime::run_to_exit(std::move(s), {root, next_id()});
    if (!st) return unexpected(st.error());
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return Output{*st, ss.str()};
  }

  // Mount points under our temporary dir still in the host's mount table.
  std::string leftover_mounts() const {
    std::ifstream f("/proc/self/mountinfo");
    std::string line, out;
    while (std::getline(f, line))
      if (line.find(tmp.path()) != std::string::npos) out += line + "\n";
    return out;
  }
};

}  // namespace stack::testing
