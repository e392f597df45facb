// The binary-tree layout compile_seccomp uses (SeccompLayout::kTree) decides every system
// call as libseccomp's default layout does: both programs run in a small classic BPF
// interpreter over every syscall number of the three x86 ABIs and argument values that
// Docker's profile tests (clone flags, socket families, personality), and must return
// the same action each time.
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
      case BPF_LD | BPF_MEM: a = mem[f.k % BPF_MEMWORDS]; break;
      case BPF_LDX | BPF_MEM: x = mem[f.k % BPF_MEMWORDS]; break;
      case BPF_ST: mem[f.k % BPF_MEMWORDS] = a; break;
      case BPF_STX: mem[f.k % BPF_MEMWORDS] = x; break;
      case BPF_ALU | BPF_AND | BPF_K: a &= f.k; break;
      case BPF_ALU | BPF_OR | BPF_K: a |= f.k; break;
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

}  // namespace

TEST_CASE("seccomp: the tree layout decides every system call as the default layout", "[runtime][seccomp]") {
  const uint64_t with_sys_admin = static_cast<uint64_t>(kDockerDefaultCaps) | (1ULL << 21 /*CAP_SYS_ADMIN*/);
  for (uint64_t caps : {static_cast<uint64_t>(kDockerDefaultCaps), with_sys_admin}) {
    auto tree = compile_seccomp_uncached(docker_default_seccomp(), caps, SeccompLayout::kTree);
    auto plain = compile_seccomp_uncached(docker_default_seccomp(), caps, SeccompLayout::kPriority);
    REQUIRE(tree);
    REQUIRE(plain);
    CHECK(bytes(tree->filter) != bytes(plain->filter));  // else this test compares a program with itself
    CHECK(tree->highest_syscall == plain->highest_syscall);

    // The ABIs: x86-64, x32 (x86-64's arch value, numbers from 0x40000000), i386, and
    // one the profile does not name.
    struct Abi {
      uint32_t arch, base;
    };
    const Abi abis[] = {{AUDIT_ARCH_X86_64, 0}, {AUDIT_ARCH_X86_64, 0x40000000u}, {AUDIT_ARCH_I386, 0}, {0x12345678u, 0}};
    // Arguments the profile's conditions look at, and some that match none of them.
    const uint64_t values[] = {0,
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
    size_t compared = 0, allowed = 0;
    for (const Abi& abi : abis)
      for (uint32_t nr = 0; nr < 600; ++nr)
        for (uint64_t v : values) {
          seccomp_data d{};
          d.nr = static_cast<int>(abi.base + nr);
          d.arch = abi.arch;
          d.instruction_pointer = 0x400000;
          for (auto& arg : d.args) arg = v;
          d.args[1] = v >> 1;  // not all arguments alike
          auto a = run(tree->filter, d), b = run(plain->filter, d);
          INFO("arch " << abi.arch << " nr " << d.nr << " args " << v);
          REQUIRE(a.has_value());
          REQUIRE(show(a) == show(b));
          ++compared;
          allowed += (*a == SECCOMP_RET_ALLOW);
        }
    CHECK(compared == 4 * 600 * std::size(values));
    CHECK(allowed > 1000);  // the interpreter really walked to the rules
  }
}
