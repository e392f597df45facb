#include "engine/runtime/seccomp_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"

namespace stack::engine::runtime::seccomp_cache {
namespace {

constexpr std::string_view kMagic = "STKSECC1";
// Bumped when compile_seccomp's output for the same inputs changes shape; the binary's
// identity in environment_key() already covers a rebuilt stack.
constexpr int kFormat = 1;
constexpr size_t kMaxFile = 4u << 20;

uint64_t fnv1a(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Length-prefixed, so that no two profiles give the same text.
void put(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
  out += ' ';
}
void put(std::string& out, uint64_t v) { put(out, std::to_string(v)); }
void put(std::string& out, const std::vector<std::string>& v) {
  put(out, v.size());
  for (const auto& s : v) put(out, s);
}

template <typename T>
void append_raw(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

template <typename T>
bool take_raw(std::string_view& in, T& v) {
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return true;
}

// Keeps the kKeptFiles most recently written .bpf files; a file another process removes
// meanwhile is already gone, which is fine. readdir, not std::filesystem: nothing here may
// throw into the supervisor's loop.
void prune(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> files;  // (mtime ns, path)
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return;
  while (const dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".bpf") continue;
    std::string path = dir + "/" + e->d_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    files.emplace_back(int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec, std::move(path));
  }
  if (files.size() <= kKeptFiles) return;
  std::sort(files.begin(), files.end(), std::greater<>());
  for (size_t i = kKeptFiles; i < files.size(); ++i) ::unlink(files[i].second.c_str());
}

}  // namespace

std::string profile_key(const SeccompProfile& profile, uint64_t caps) {
  std::string k;
  put(k, caps);
  put(k, static_cast<uint64_t>(profile.default_action));
  put(k, static_cast<uint64_t>(static_cast<uint32_t>(profile.default_errno)));
  put(k, profile.enosys_for_newer ? 1u : 0u);
  put(k, profile.rules.size());
  for (const auto& r : profile.rules) {
    put(k, r.names);
    put(k, static_cast<uint64_t>(r.action));
    put(k, static_cast<uint64_t>(static_cast<uint32_t>(r.errno_ret)));
    put(k, r.args.size());
    for (const auto& a : r.args) {
      put(k, a.index);
      put(k, static_cast<uint64_t>(a.op));
      put(k, a.value);
      put(k, a.value_two);
    }
    put(k, r.include_caps);
    put(k, r.exclude_caps);
    put(k, r.include_arches);
    put(k, r.exclude_arches);
  }
  return k;
}

std::string environment_key() {
  std::string k = "format " + std::to_string(kFormat);
  if (const scmp_version* v = ::seccomp_version())
    k += " libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  k += " api " + std::to_string(::seccomp_api_get());
#if defined(__x86_64__)
  k += " arch x86_64";
#elif defined(__aarch64__)
  k += " arch aarch64";
#endif
  struct utsname u {};
  if (::uname(&u) == 0) k += std::string(" kernel ") + u.release + " " + u.version;
  // This binary: a rebuilt stack may compile differently (another libseccomp call order,
  // a changed prefix), so its file identity is part of the key.
  struct stat st {};
  if (::stat("/proc/self/exe", &st) == 0)
    k += " exe " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) +
         ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  return k;
}

std::string file_name(std::string_view profile_key, std::string_view environment) {
  std::string both(environment);
  both += '\n';
  both += profile_key;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx.bpf", static_cast<unsigned long long>(fnv1a(both)));
  return buf;
}

std::string encode(std::string_view key, const SeccompProgram& program) {
  std::string out(kMagic);
  append_raw(out, static_cast<uint32_t>(key.size()));
  out += key;
  append_raw(out, static_cast<uint64_t>(program.rules_added));
  append_raw(out, static_cast<int32_t>(program.highest_syscall));
  append_raw(out, static_cast<uint32_t>(program.filter.size()));
  out.append(reinterpret_cast<const char*>(program.filter.data()), program.filter.size() * sizeof(sock_filter));
  append_raw(out, fnv1a(out));
  return out;
}

std::optional<SeccompProgram> decode(std::string_view data, std::string_view key) {
  uint64_t sum = 0;
  if (data.size() < kMagic.size() + sizeof sum) return std::nullopt;
  std::memcpy(&sum, data.data() + data.size() - sizeof sum, sizeof sum);
  std::string_view body = data.substr(0, data.size() - sizeof sum);
  if (fnv1a(body) != sum || body.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  body.remove_prefix(kMagic.size());
  uint32_t key_len = 0;
  if (!take_raw(body, key_len) || body.size() < key_len || body.substr(0, key_len) != key) return std::nullopt;
  body.remove_prefix(key_len);
  uint64_t rules = 0;
  int32_t highest = 0;
  uint32_t n = 0;
  if (!take_raw(body, rules) || !take_raw(body, highest) || !take_raw(body, n)) return std::nullopt;
  if (n == 0 || n > BPF_MAXINSNS || body.size() != n * sizeof(sock_filter)) return std::nullopt;
  SeccompProgram p;
  p.rules_added = rules;
  p.highest_syscall = highest;
  p.filter.resize(n);
  std::memcpy(p.filter.data(), body.data(), body.size());
  return p;
}

std::optional<SeccompProgram> load(const std::string& dir, std::string_view profile_key, std::string_view environment) {
  std::string path = dir + "/" + file_name(profile_key, environment);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxFile)
    return std::nullopt;
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::pread(fd.get(), data.data() + off, data.size() - off, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    off += static_cast<size_t>(n);
  }
  std::string key(environment);
  key += '\n';
  key += profile_key;
  return decode(data, key);
}

Result<void> store(const std::string& dir, std::string_view profile_key, std::string_view environment,
                   const SeccompProgram& program) {
  STACK_TRY(make_dirs(dir, 0700));
  std::string key(environment);
  key += '\n';
  key += profile_key;
  STACK_TRY(write_file_atomic(dir + "/" + file_name(profile_key, environment), encode(key, program), 0600,
                              Durability::kProcessCrash));
  prune(dir);
  return {};
}

}  // namespace stack::engine::runtime::seccomp_cache
