#include "engine/runtime/seccomp.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>

#include "engine/base/log.hpp"
#include "engine/base/unique_fd.hpp"
#include "engine/runtime/caps.hpp"
#include "engine/runtime/seccomp_cache.hpp"
#include "engine/runtime/seccomp_ranges.hpp"

namespace stack::engine::runtime {
namespace {

using Ctx = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

#if defined(__x86_64__)
constexpr const char* kNativeArch = "amd64";
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT: x32 calls are not native ones
#elif defined(__aarch64__)
constexpr const char* kNativeArch = "arm64";
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
constexpr uint32_t kX32Bit = 0;
#else
#error "add the native architecture's names here"
#endif

bool contains(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

Result<bool> rule_applies(const SeccompRule& r, uint64_t caps) {
  for (const auto& c : r.include_caps) {
    auto n = cap_number(c);
    if (!n) return unexpected(n.error());
    if (!(caps & (1ULL << *n))) return false;
  }
  for (const auto& c : r.exclude_caps) {
    auto n = cap_number(c);
    if (!n) return unexpected(n.error());
    if (caps & (1ULL << *n)) return false;
  }
  if (!r.include_arches.empty() && !contains(r.include_arches, kNativeArch)) return false;
  return !contains(r.exclude_arches, kNativeArch);
}

scmp_compare to_scmp(SeccompOp op) {
  switch (op) {
    case SeccompOp::kNe: return SCMP_CMP_NE;
    case SeccompOp::kEq: return SCMP_CMP_EQ;
    case SeccompOp::kMaskedEq: return SCMP_CMP_MASKED_EQ;
    case SeccompOp::kLt: return SCMP_CMP_LT;
    case SeccompOp::kLe: return SCMP_CMP_LE;
    case SeccompOp::kGe: return SCMP_CMP_GE;
    case SeccompOp::kGt: return SCMP_CMP_GT;
  }
  return SCMP_CMP_EQ;
}

uint32_t to_action(SeccompAction a, int err) {
  return a == SeccompAction::kAllow ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(static_cast<uint32_t>(err));
}

Result<void> add_rule(scmp_filter_ctx ctx, const SeccompRule& r, SeccompProgram& out) {
  std::vector<scmp_arg_cmp> cmps;
  for (const auto& a : r.args) cmps.push_back(scmp_arg_cmp{a.index, to_scmp(a.op), a.value, a.value_two});
  for (const auto& name : r.names) {
    int nr = ::seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: the default action applies
    int rc = ::seccomp_rule_add_array(ctx, to_action(r.action, r.errno_ret), nr,
                                      static_cast<unsigned>(cmps.size()), cmps.data());
    // -EEXIST: the same rule came from another group (e.g. syslog for SYS_ADMIN and SYSLOG).
    if (rc < 0 && rc != -EEXIST)
      return fail_errno(-rc, "seccomp: adding the rule for " + name);
    ++out.rules_added;
    if (nr >= 0) out.highest_syscall = std::max(out.highest_syscall, nr);
  }
  return {};
}

Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  UniqueFd mem(::memfd_create("stack-seccomp", MFD_CLOEXEC));
  if (!mem) return fail_errno("seccomp: memfd_create");
  int rc = ::seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) return fail_errno(-rc, "seccomp: exporting the BPF program");
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size < 0 || size % sizeof(sock_filter) != 0) return fail("seccomp: odd BPF program size");
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(mem.get(), prog.data(), static_cast<size_t>(size), 0) != size)
    return fail_errno("seccomp: reading the BPF program back");
  return prog;
}

// Prepends: native syscalls numbered above `highest` return ENOSYS (see the profile's
// enosys_for_newer). Jumps in BPF are relative, so the program after it is unchanged.
std::vector<sock_filter> with_enosys_prefix(const std::vector<sock_filter>& prog, int highest) {
  const uint32_t nr_off = offsetof(seccomp_data, nr);
  const uint32_t arch_off = offsetof(seccomp_data, arch);
  std::vector<sock_filter> out = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arch_off),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32Bit ? kX32Bit : 0xffffffffu, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(highest), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
  };
  out.insert(out.end(), prog.begin(), prog.end());
  return out;
}

Result<SeccompProgram> compile_uncached(const SeccompProfile& profile, uint64_t caps, SeccompLayout layout);
Result<SeccompProgram> compile_through_disk(const SeccompProfile& profile, uint64_t caps);

}  // namespace

namespace {
std::mutex g_disk_mu;
std::string g_disk_dir;  // empty: no disk cache
}  // namespace

Result<SeccompProgram> compile_seccomp_uncached(const SeccompProfile& profile, uint64_t caps, SeccompLayout layout) {
  return compile_uncached(profile, caps, layout);
}

void set_seccomp_cache_dir(std::string dir) {
  std::lock_guard lock(g_disk_mu);
  g_disk_dir = std::move(dir);
}

namespace {

// Every container of a stack has the same profile and nearly always the same bounding
// set, and libseccomp takes milliseconds and a megabyte of short-lived heap to build the
// program: the last few programs are kept, keyed by the profile's value and the caps (a
// shared profile's object first: the same object is the same value).
// Below that, the disk cache serves processes that start once per container (stack run).
struct CacheEntry {
  std::shared_ptr<const SeccompProfile> profile;
  uint64_t caps;
  SeccompProgram program;
};
std::mutex g_cache_mu;
std::deque<CacheEntry> g_cache;
constexpr std::size_t kKept = 4;

// shared: the profile's object when the caller shares it (nullptr: a copy is kept).
Result<SeccompProgram> compile_cached(const SeccompProfile& profile, std::shared_ptr<const SeccompProfile> shared,
                                      uint64_t caps) {
  {
    std::lock_guard lock(g_cache_mu);
    if (shared)
      for (const auto& e : g_cache)
        if (e.caps == caps && e.profile == shared) return e.program;
    for (const auto& e : g_cache)
      if (e.caps == caps && *e.profile == profile) return e.program;
  }
  auto prog = compile_through_disk(profile, caps);
  if (!prog) return prog;
  if (!shared) shared = std::make_shared<const SeccompProfile>(profile);
  std::lock_guard lock(g_cache_mu);
  g_cache.push_front({std::move(shared), caps, *prog});
  if (g_cache.size() > kKept) g_cache.pop_back();
  return prog;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const std::shared_ptr<const SeccompProfile>& profile, uint64_t caps) {
  if (!profile) return fail("seccomp: no profile to compile (an unconfined spec has none)");
  return compile_cached(*profile, profile, caps);
}

Result<SeccompProgram> compile_seccomp(const SeccompProfile& profile, uint64_t caps) {
  return compile_cached(profile, nullptr, caps);
}

namespace {

Result<SeccompProgram> compile_uncached(const SeccompProfile& profile, uint64_t caps, SeccompLayout layout) {
  Ctx ctx(::seccomp_init(to_action(profile.default_action, profile.default_errno)), ::seccomp_release);
  if (!ctx) return fail("seccomp: seccomp_init failed");
#if defined(__x86_64__)
  // Docker's archMap: a 64-bit x86 container may also make i386 and x32 system calls,
  // filtered by the same rules.
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    int rc = ::seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) return fail_errno(-rc, "seccomp: adding an architecture");
  }
#endif
  // The child drops no_new_privs itself when asked; the filter must not force it.
  ::seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  // A libseccomp before 2.5 has no such attribute: its default layout, the same decisions.
  if (layout != SeccompLayout::kPriority) (void)::seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  SeccompProgram out;
  for (const auto& rule : profile.rules) {
    auto applies = rule_applies(rule, caps);
    if (!applies) return unexpected(applies.error().wrap("seccomp profile"));
    if (*applies) STACK_TRY(add_rule(ctx.get(), rule, out));
  }
  auto prog = export_bpf(ctx.get());
  if (!prog) return unexpected(std::move(prog).error());
  if (profile.enosys_for_newer && out.highest_syscall >= 0)
    out.filter = with_enosys_prefix(*prog, out.highest_syscall);
  else
    out.filter = std::move(*prog);
  if (layout == SeccompLayout::kRanges) {
    if (auto ranges = relayout_by_ranges(out.filter))
      out.filter = std::move(*ranges);
    else
      log::debug("seccomp: libseccomp's program kept as it is (it does something the range layout does not follow)");
  }
  if (out.filter.size() > BPF_MAXINSNS)
    return fail("seccomp: the program has " + std::to_string(out.filter.size()) + " instructions, over the kernel's " +
                std::to_string(BPF_MAXINSNS));
  return out;
}

Result<SeccompProgram> compile_through_disk(const SeccompProfile& profile, uint64_t caps) {
  std::string dir;
  {
    std::lock_guard lock(g_disk_mu);
    dir = g_disk_dir;
  }
  if (dir.empty()) return compile_uncached(profile, caps, SeccompLayout::kRanges);
  std::string pkey = seccomp_cache::profile_key(profile, caps);
  std::string env = seccomp_cache::environment_key();
  if (auto hit = seccomp_cache::load(dir, pkey, env)) {
    log::debug("seccomp: program read from {}/{}", dir, seccomp_cache::file_name(pkey, env));
    return std::move(*hit);
  }
  auto prog = compile_uncached(profile, caps, SeccompLayout::kRanges);
  if (!prog) return prog;
  // A cache that cannot be written (read-only root, full disk) costs time, not correctness.
  std::lock_guard lock(g_disk_mu);
  if (auto w = seccomp_cache::store(dir, pkey, env, *prog); !w)
    log::debug("seccomp: not cached: {}", w.error().message);
  else
    log::debug("seccomp: program compiled and written to {}/{}", dir, seccomp_cache::file_name(pkey, env));
  return prog;
}

}  // namespace
}  // namespace stack::engine::runtime
