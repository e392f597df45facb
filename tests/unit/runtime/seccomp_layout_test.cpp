// The layouts compile_seccomp may use (SeccompLayout::kTree, libseccomp's binary search,
// and kRanges, the one it uses: seccomp_ranges.hpp) decide every system call as
// libseccomp's default layout does: the programs run in a small classic BPF interpreter
// over every syscall number of the three x86 ABIs (and numbers far beyond them) with
// argument values that Docker's profile tests (clone flags, socket families,
// personality), and must return the same action each time.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/defaults.hpp"
#include "engine/runtime/seccomp.hpp"
#include "engine/runtime/seccomp_ranges.hpp"

using namespace stack::engine::runtime;

namespace {

// Runs a seccomp program over data, as the kernel's classic BPF interpreter does; nullopt
// for an instruction it does not know (the test then fails: it must cover the program).
std::optional<uint32_t> run(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  auto word = [&](uint32_t off) {
    uint32_t w = 0;
    std::memcpy(&w, reinterpret_cast<const char*>(&data) + off, sizeof w);
    return w;
  };
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (f.k % 4 != 0 || f.k + 4 > sizeof data) return std::nullopt;
        a = word(f.k);
        break;
      case BPF_LD | BPF_IMM: a = f.k; break;
      case BPF_LD | BPF_MEM: a = mem[f.k % BPF_MEMWORDS]; break;
      case BPF_LDX | BPF_MEM: x = mem[f.k % BPF_MEMWORDS]; break;
      case BPF_ST: mem[f.k % BPF_MEMWORDS] = a; break;
      case BPF_STX: mem[f.k % BPF_MEMWORDS] = x; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= f.k; break;
      case BPF_ALU | BPF_OR | BPF_K: a |= f.k; break;
      case BPF_ALU | BPF_ADD | BPF_K: a += f.k; break;
      case BPF_ALU | BPF_RSH | BPF_K: a = f.k < 32 ? a >> f.k : 0; break;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_MISC | BPF_TXA: a = x; break;
      case BPF_JMP | BPF_JA: pc += f.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == f.k) ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JGT | BPF_K: pc += (a > f.k) ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JGE | BPF_K: pc += (a >= f.k) ? f.jt : f.jf; break;
      case BPF_JMP | BPF_JSET | BPF_K: pc += (a & f.k) ? f.jt : f.jf; break;
      case BPF_RET | BPF_K: return f.k;
      case BPF_RET | BPF_A: return a;
      default: return std::nullopt;
    }
  }
  return std::nullopt;  // fell off the end: the kernel refuses such a program
}

std::string bytes(const std::vector<sock_filter>& prog) {
  return std::string(reinterpret_cast<const char*>(prog.data()), prog.size() * sizeof(sock_filter));
}

std::string show(std::optional<uint32_t> action) { return action ? std::to_string(*action) : "invalid"; }

struct Abi {
  uint32_t arch, base;
};
// The ABIs: x86-64, x32 (x86-64's arch value, numbers from 0x40000000), i386, and one
// the profile does not name.
const Abi kAbis[] = {{AUDIT_ARCH_X86_64, 0}, {AUDIT_ARCH_X86_64, 0x40000000u}, {AUDIT_ARCH_I386, 0}, {0x12345678u, 0}};
// Numbers past every table: the ranges layout must treat them as libseccomp does too.
const uint32_t kFar[] = {0x3fffffffu, 0x7fffffffu, 0x80000000u, 0xbfffffffu, 0xfffffffeu, 0xffffffffu};
// Arguments the profile's conditions look at, and some that match none of them.
const uint64_t kValues[] = {0,
                            SIGCHLD,
                            CLONE_NEWNS | SIGCHLD,
                            CLONE_NEWUSER,
                            CLONE_THREAD | CLONE_VM | CLONE_SIGHAND,
                            1 /*AF_UNIX*/,
                            40 /*AF_VSOCK*/,
                            0x0008 /*PER_LINUX32*/,
                            0x20008,
                            0xffffffffULL,
                            0x100000000ULL,
                            ~0ULL};

struct Compared {
  size_t compared = 0, allowed = 0;
};

// a and b decide every case alike; what was compared, and how many were allowed.
Compared compare(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  Compared c;
  auto one = [&](uint32_t arch, uint32_t nr, uint64_t v) {
    seccomp_data d{};
    d.nr = static_cast<int>(nr);
    d.arch = arch;
    d.instruction_pointer = 0x400000;
    for (auto& arg : d.args) arg = v;
    d.args[1] = v >> 1;  // not all arguments alike
    auto x = run(a, d), y = run(b, d);
    INFO("arch " << arch << " nr " << nr << " args " << v);
    REQUIRE(x.has_value());
    REQUIRE(show(x) == show(y));
    ++c.compared;
    c.allowed += (*x == SECCOMP_RET_ALLOW);
  };
  for (const Abi& abi : kAbis) {
    for (uint32_t nr = 0; nr < 600; ++nr)
      for (uint64_t v : kValues) one(abi.arch, abi.base + nr, v);
    for (uint32_t nr : kFar) one(abi.arch, nr, 0);
  }
  return c;
}

}  // namespace

TEST_CASE("seccomp: the tree and range layouts decide every system call as the default layout",
          "[runtime][seccomp]") {
  const uint64_t with_sys_admin = static_cast<uint64_t>(kDockerDefaultCaps) | (1ULL << 21 /*CAP_SYS_ADMIN*/);
  for (uint64_t caps : {static_cast<uint64_t>(kDockerDefaultCaps), with_sys_admin}) {
    auto plain = compile_seccomp_uncached(docker_default_seccomp(), caps, SeccompLayout::kPriority);
    REQUIRE(plain);
    for (auto layout : {SeccompLayout::kTree, SeccompLayout::kRanges}) {
      auto laid = compile_seccomp_uncached(docker_default_seccomp(), caps, layout);
      REQUIRE(laid);
      INFO("layout " << static_cast<int>(layout) << ": " << laid->filter.size() << " instructions, default layout "
                     << plain->filter.size());
      CHECK(bytes(laid->filter) != bytes(plain->filter));  // else this test compares a program with itself
      CHECK(laid->highest_syscall == plain->highest_syscall);
      auto c = compare(laid->filter, plain->filter);
      CHECK(c.compared == std::size(kAbis) * (600 * std::size(kValues) + std::size(kFar)));
      CHECK(c.allowed > 1000);  // the interpreter really walked to the rules
    }
    auto tree = compile_seccomp_uncached(docker_default_seccomp(), caps, SeccompLayout::kTree);
    auto ranges = compile_seccomp_uncached(docker_default_seccomp(), caps, SeccompLayout::kRanges);
    REQUIRE(tree);
    REQUIRE(ranges);
    // What the layout is for: far fewer instructions for the kernel to convert and JIT.
    CHECK(ranges->filter.size() * 2 < tree->filter.size());
  }
}

namespace {

sock_filter ld(uint32_t off) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off); }
sock_filter ret(uint32_t k) { return BPF_STMT(BPF_RET | BPF_K, k); }
sock_filter jmp(uint16_t op, uint32_t k, uint8_t jt, uint8_t jf) { return BPF_JUMP(BPF_JMP | op | BPF_K, k, jt, jf); }

constexpr uint32_t kEperm = SECCOMP_RET_ERRNO | 1;

}  // namespace

TEST_CASE("seccomp ranges: argument checks, constants and a reloaded number are kept exactly", "[runtime][seccomp]") {
  const uint32_t nr = offsetof(seccomp_data, nr), arch = offsetof(seccomp_data, arch);
  const uint32_t arg0 = offsetof(seccomp_data, args), arg1_hi = arg0 + 12;
  std::vector<sock_filter> prog = {
      ld(arch),                                     // 0
      jmp(BPF_JEQ, AUDIT_ARCH_X86_64, 1, 0),        // 1
      ret(SECCOMP_RET_KILL_PROCESS),                // 2
      ld(nr),                                       // 3
      jmp(BPF_JGE, 100, 0, 1),                      // 4: 100.. -> 6
      jmp(BPF_JGT, 200, 8, 0),                      // 5: 201.. -> 14 (EPERM) ; 100..200 -> 6
      jmp(BPF_JEQ, 7, 0, 6),                        // 6: 7 -> 7 ; else -> 13
      ld(arg0),                                     // 7: nr 7: arg0 & 0xf0 set -> EPERM
      BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),       // 8
      jmp(BPF_JSET, 0xf, 4, 0),                     // 9 -> 14
      ld(arg1_hi),                                  // 10
      BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),       // 11
      jmp(BPF_JGT, 5, 1, 0),                        // 12 -> 14
      ret(SECCOMP_RET_ALLOW),                       // 13
      ld(nr),                                       // 14: reloaded: 150 gets ALLOW, others EPERM
      jmp(BPF_JEQ, 150, 1, 0),                      // 15
      ret(kEperm),                                  // 16
      BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ALLOW),  // 17
      BPF_STMT(BPF_RET | BPF_A, 0),                 // 18
  };
  auto laid = relayout_by_ranges(prog);
  REQUIRE(laid);
  size_t checked = 0;
  for (uint32_t a : {static_cast<uint32_t>(AUDIT_ARCH_X86_64), static_cast<uint32_t>(AUDIT_ARCH_I386), 0u})
    for (uint32_t n : {0u, 6u, 7u, 8u, 99u, 100u, 149u, 150u, 151u, 200u, 201u, 0xffffffffu})
      for (uint64_t v : {0ULL, 0xfULL, 0x10ULL, 0x400000000ULL, 0x500000000ULL, 0xffffffffffffffffULL})
        for (uint64_t w : {0ULL, 0x400000000ULL, 0x500000000ULL}) {
          seccomp_data d{};
          d.nr = static_cast<int>(n);
          d.arch = a;
          d.args[0] = v;
          d.args[1] = w;
          INFO("arch " << a << " nr " << n << " arg0 " << v << " arg1 " << w);
          REQUIRE(show(run(*laid, d)) == show(run(prog, d)));
          ++checked;
        }
  CHECK(checked == 3 * 12 * 6 * 3);
}

TEST_CASE("seccomp ranges: a program it cannot follow is refused, not guessed", "[runtime][seccomp]") {
  const uint32_t nr = offsetof(seccomp_data, nr), arch = offsetof(seccomp_data, arch);
  // Scratch memory.
  CHECK_FALSE(relayout_by_ranges({ld(nr), BPF_STMT(BPF_ST, 0), ret(SECCOMP_RET_ALLOW)}));
  // Arithmetic on the syscall number.
  CHECK_FALSE(relayout_by_ranges({ld(nr), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff), ret(SECCOMP_RET_ALLOW)}));
  // An ordering test on the architecture.
  CHECK_FALSE(relayout_by_ranges({ld(arch), jmp(BPF_JGT, 5, 0, 1), ret(kEperm), ret(SECCOMP_RET_ALLOW)}));
  // A bit test on the number is not the same over a range.
  CHECK_FALSE(relayout_by_ranges({ld(nr), jmp(BPF_JSET, 1, 0, 1), ret(kEperm), ret(SECCOMP_RET_ALLOW)}));
  // A load past seccomp_data, and a program that falls off its end.
  CHECK_FALSE(relayout_by_ranges({ld(64), ret(SECCOMP_RET_ALLOW)}));
  CHECK_FALSE(relayout_by_ranges({ld(nr), jmp(BPF_JEQ, 1, 0, 1), ret(kEperm)}));
  CHECK_FALSE(relayout_by_ranges({}));
  // And one it can: a single return stays one.
  auto one = relayout_by_ranges({ret(SECCOMP_RET_ALLOW)});
  REQUIRE(one);
  CHECK(one->size() == 1);
}
