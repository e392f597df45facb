// The disk cache of compiled seccomp programs: what makes a file usable, and that
// compile_seccomp reads it instead of compiling.
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/base/file.hpp"
#include "engine/runtime/defaults.hpp"
#include "engine/runtime/seccomp.hpp"
#include "engine/runtime/seccomp_cache.hpp"

using namespace stack::engine::runtime;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/stack-seccomp-cache-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

SeccompProgram sample_program() {
  SeccompProgram p;
  p.rules_added = 7;
  p.highest_syscall = 451;
  p.filter = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 42, 0, 1),
              BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  return p;
}

bool same(const SeccompProgram& a, const SeccompProgram& b) {
  if (a.rules_added != b.rules_added || a.highest_syscall != b.highest_syscall || a.filter.size() != b.filter.size())
    return false;
  for (size_t i = 0; i < a.filter.size(); ++i)
    if (a.filter[i].code != b.filter[i].code || a.filter[i].jt != b.filter[i].jt || a.filter[i].jf != b.filter[i].jf ||
        a.filter[i].k != b.filter[i].k)
      return false;
  return true;
}

SeccompProfile small_profile(const std::string& name) {
  SeccompProfile p;
  SeccompRule r;
  r.names = {name};
  p.rules.push_back(r);
  return p;
}

}  // namespace

TEST_CASE("seccomp cache: encode and decode round trip, for the same key only", "[runtime][seccomp]") {
  auto prog = sample_program();
  std::string data = seccomp_cache::encode("env\nprofile", prog);
  auto back = seccomp_cache::decode(data, "env\nprofile");
  REQUIRE(back);
  CHECK(same(*back, prog));
  CHECK_FALSE(seccomp_cache::decode(data, "env\nprofilf"));
  CHECK_FALSE(seccomp_cache::decode(data, "env2\nprofile"));
  CHECK_FALSE(seccomp_cache::decode(data, ""));
}

TEST_CASE("seccomp cache: a torn or altered file is a miss", "[runtime][seccomp]") {
  std::string data = seccomp_cache::encode("k", sample_program());
  for (size_t cut : {size_t{0}, size_t{5}, data.size() / 2, data.size() - 1})
    CHECK_FALSE(seccomp_cache::decode(std::string_view(data).substr(0, cut), "k"));
  for (size_t at : {size_t{0}, size_t{9}, data.size() - 20, data.size() - 1}) {
    std::string bad = data;
    bad[at] = static_cast<char>(bad[at] ^ 0x01);
    CHECK_FALSE(seccomp_cache::decode(bad, "k"));
  }
  CHECK_FALSE(seccomp_cache::decode(data + "x", "k"));
}

TEST_CASE("seccomp cache: the profile key tells profiles and caps apart", "[runtime][seccomp]") {
  auto docker = docker_default_seccomp();
  auto k = seccomp_cache::profile_key(docker, kDockerDefaultCaps);
  CHECK(k == seccomp_cache::profile_key(docker_default_seccomp(), kDockerDefaultCaps));
  CHECK(k != seccomp_cache::profile_key(docker, kDockerDefaultCaps ^ (1ULL << 21)));
  auto changed = docker;
  changed.rules.back().args.push_back(SeccompArg{0, 1, 0, SeccompOp::kEq});
  CHECK(k != seccomp_cache::profile_key(changed, kDockerDefaultCaps));
  // Length prefixes: {"ab","c"} and {"a","bc"} are different rules.
  SeccompProfile a, b;
  a.rules.push_back(SeccompRule{.names = {"ab", "c"}});
  b.rules.push_back(SeccompRule{.names = {"a", "bc"}});
  CHECK(seccomp_cache::profile_key(a, 0) != seccomp_cache::profile_key(b, 0));
  CHECK(seccomp_cache::file_name(k, "e").size() == 20);
  // stack and stack-supervisor (or two kernels) keep separate files, not one they fight over.
  CHECK(seccomp_cache::file_name(k, "e") != seccomp_cache::file_name(k, "e2"));
  CHECK(seccomp_cache::environment_key().find("libseccomp ") != std::string::npos);
}

TEST_CASE("seccomp cache: store, load, and the owner and mode checks", "[runtime][seccomp]") {
  TempDir tmp;
  std::string dir = tmp.path + "/cache/seccomp";
  auto prog = sample_program();
  CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));  // no directory yet: a miss, not an error
  REQUIRE(seccomp_cache::store(dir, "p", "e", prog));
  std::string file = dir + "/" + seccomp_cache::file_name("p", "e");
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto back = seccomp_cache::load(dir, "p", "e");
  REQUIRE(back);
  CHECK(same(*back, prog));
  CHECK_FALSE(seccomp_cache::load(dir, "p", "e2"));  // another kernel or libseccomp

  SECTION("group- or other-writable: not trusted") {
    REQUIRE(::chmod(file.c_str(), 0620) == 0);
    CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));
    REQUIRE(::chmod(file.c_str(), 0602) == 0);
    CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));
    REQUIRE(::chmod(file.c_str(), 0644) == 0);
    CHECK(seccomp_cache::load(dir, "p", "e"));
  }
  SECTION("owned by another user: not trusted") {
    if (::geteuid() != 0) FAIL("this check chowns a file: run the unit tests as root");
    REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
    CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));
  }
  SECTION("a symlink to a good file: not followed") {
    std::string real = tmp.path + "/real.bpf";
    REQUIRE(::rename(file.c_str(), real.c_str()) == 0);
    REQUIRE(::symlink(real.c_str(), file.c_str()) == 0);
    CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));
  }
  SECTION("a corrupt file is a miss and is written again") {
    REQUIRE(stack::write_file_atomic(file, "STKSECC1 garbage", 0600));
    CHECK_FALSE(seccomp_cache::load(dir, "p", "e"));
    REQUIRE(seccomp_cache::store(dir, "p", "e", prog));
    CHECK(seccomp_cache::load(dir, "p", "e"));
  }
}

TEST_CASE("seccomp cache: only the most recently written files are kept", "[runtime][seccomp]") {
  TempDir tmp;
  auto prog = sample_program();
  size_t n = seccomp_cache::kKeptFiles + 4;
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(seccomp_cache::store(tmp.path, "p", "kernel " + std::to_string(i), prog));
    // Distinct mtimes even on a coarse clock: the order is what prune() keeps by.
    std::string f = tmp.path + "/" + seccomp_cache::file_name("p", "kernel " + std::to_string(i));
    struct timespec times[2] = {{static_cast<time_t>(1000 + i), 0}, {static_cast<time_t>(1000 + i), 0}};
    REQUIRE(::utimensat(AT_FDCWD, f.c_str(), times, 0) == 0);
  }
  REQUIRE(seccomp_cache::store(tmp.path, "p", "newest", prog));
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path)) files += e.path().extension() == ".bpf";
  CHECK(files == seccomp_cache::kKeptFiles);
  CHECK(seccomp_cache::load(tmp.path, "p", "newest"));
  CHECK(seccomp_cache::load(tmp.path, "p", "kernel " + std::to_string(n - 1)));
  CHECK_FALSE(seccomp_cache::load(tmp.path, "p", "kernel 0"));
}

TEST_CASE("seccomp cache: compile_seccomp writes the program and a later process reads it", "[runtime][seccomp]") {
  TempDir tmp;
  std::string dir = tmp.path + "/seccomp";
  set_seccomp_cache_dir(dir);
  // A profile no other test compiles, so that the in-memory cache cannot answer.
  auto profile = small_profile("getppid");
  auto compiled = compile_seccomp(profile, 0);
  REQUIRE(compiled);
  auto pkey = seccomp_cache::profile_key(profile, 0);
  auto env = seccomp_cache::environment_key();
  auto on_disk = seccomp_cache::load(dir, pkey, env);
  REQUIRE(on_disk);
  CHECK(same(*on_disk, *compiled));

  // What "a later process" sees: a file for a profile this process never compiled. Its
  // program is one libseccomp would never make, so only a read from disk can return it.
  auto other = small_profile("getpgrp");
  auto marker = sample_program();
  REQUIRE(seccomp_cache::store(dir, seccomp_cache::profile_key(other, 0), env, marker));
  auto read = compile_seccomp(other, 0);
  REQUIRE(read);
  CHECK(same(*read, marker));

  // A file made for another environment (kernel, libseccomp, binary) is not used.
  auto third = small_profile("getpid");
  auto tkey = seccomp_cache::profile_key(third, 0);
  REQUIRE(seccomp_cache::store(dir, tkey, "another kernel", marker));
  auto fresh = compile_seccomp(third, 0);
  REQUIRE(fresh);
  CHECK_FALSE(same(*fresh, marker));
  auto rewritten = seccomp_cache::load(dir, tkey, env);
  REQUIRE(rewritten);
  CHECK(same(*rewritten, *fresh));

  // An unwritable cache directory is not an error: the program is still compiled.
  set_seccomp_cache_dir("/proc/version/not-a-dir");
  CHECK(compile_seccomp(small_profile("gettid"), 0));
  set_seccomp_cache_dir("");
}
