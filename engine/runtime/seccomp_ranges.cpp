#include "engine/runtime/seccomp_ranges.hpp"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace stack::engine::runtime {
namespace {

constexpr uint32_t kNrOff = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOff = offsetof(seccomp_data, arch);
constexpr uint16_t kLoad = BPF_LD | BPF_W | BPF_ABS;
constexpr long kShortJump = 255;  // jt and jf are 8 bits (filter.h)

bool is_cond_jump(uint16_t code) { return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA; }

// One instruction of the new program and where it goes: next (jt) for a load or an ALU
// step, both for a conditional jump, none for a return.
struct Node {
  uint16_t code;
  uint32_t k;
  int jt, jf;
};

// The new program as a graph in which equal instructions with equal successors are one
// node, so that ranges decided alike end in the same node and merge.
class Graph {
 public:
  int add(uint16_t code, uint32_t k, int jt = -1, int jf = -1) {
    if (is_cond_jump(code) && jt == jf) return jt;  // a test that changes nothing
    auto key = std::make_tuple(code, k, jt, jf);
    if (auto it = index_.find(key); it != index_.end()) return it->second;
    nodes_.push_back({code, k, jt, jf});
    return index_[key] = static_cast<int>(nodes_.size() - 1);
  }
  const Node& operator[](int n) const { return nodes_[static_cast<size_t>(n)]; }
  size_t size() const { return nodes_.size(); }

 private:
  std::vector<Node> nodes_;
  std::map<std::tuple<uint16_t, uint32_t, int, int>, int> index_;
};

// What the accumulator holds while prog runs for one architecture and one number.
struct Acc {
  enum Kind : uint8_t { kUnknown, kNr, kArch, kConst } kind = kUnknown;
  uint32_t value = 0;  // kConst
};

std::optional<uint32_t> alu(uint16_t code, uint32_t a, uint32_t k) {
  switch (BPF_OP(code)) {
    case BPF_ADD: return a + k;
    case BPF_SUB: return a - k;
    case BPF_MUL: return a * k;
    case BPF_DIV: return k ? std::optional<uint32_t>(a / k) : std::nullopt;
    case BPF_MOD: return k ? std::optional<uint32_t>(a % k) : std::nullopt;
    case BPF_AND: return a & k;
    case BPF_OR: return a | k;
    case BPF_XOR: return a ^ k;
    case BPF_LSH: return k < 32 ? a << k : 0;
    case BPF_RSH: return k < 32 ? a >> k : 0;
    default: return std::nullopt;
  }
}

bool jump_taken(uint16_t code, uint32_t a, uint32_t k) {
  switch (BPF_OP(code)) {
    case BPF_JEQ: return a == k;
    case BPF_JGT: return a > k;
    case BPF_JGE: return a >= k;
    default: return (a & k) != 0;  // BPF_JSET
  }
}

// Walks prog for one architecture (nullopt: one prog never names) and one syscall number,
// keeping only what depends on the arguments (or the instruction pointer): the node that
// does what prog does from there. The number stands for its whole range: prog compares
// it only with constants at the range's ends, so every test on it comes out the same.
class Walker {
 public:
  Walker(const std::vector<sock_filter>& prog, Graph& g, std::optional<uint32_t> arch, uint32_t nr,
         std::set<uint32_t>& arches_named)
      : prog_(prog), g_(g), arch_(arch), nr_(nr), arches_named_(arches_named) {}

  int from(size_t pc, Acc a) {
    while (ok_) {
      if (pc >= prog_.size()) return fail();
      const sock_filter& f = prog_[pc];
      uint16_t cls = BPF_CLASS(f.code);
      if (f.code == kLoad && (f.k == kNrOff || f.k == kArchOff)) {
        a = {f.k == kNrOff ? Acc::kNr : Acc::kArch, 0};
      } else if (f.code == kLoad) {
        if (f.k % 4 != 0 || f.k + 4 > sizeof(seccomp_data)) return fail();
        return emitted(pc, [&] { return g_.add(f.code, f.k, from(pc + 1, {})); });
      } else if (f.code == (BPF_LD | BPF_IMM)) {
        a = {Acc::kConst, f.k};
      } else if (cls == BPF_ALU && BPF_SRC(f.code) == BPF_K && BPF_OP(f.code) != BPF_NEG) {
        if (a.kind == Acc::kUnknown)
          return emitted(pc, [&] { return g_.add(f.code, f.k, from(pc + 1, {})); });
        auto v = a.kind == Acc::kConst ? alu(f.code, a.value, f.k) : std::nullopt;
        if (!v) return fail();  // arithmetic on the number or the architecture
        a.value = *v;
      } else if (f.code == (BPF_JMP | BPF_JA)) {
        pc += f.k;
      } else if (cls == BPF_JMP && BPF_SRC(f.code) == BPF_K) {
        if (a.kind == Acc::kUnknown)
          return emitted(pc, [&] {
            int t = from(pc + 1 + f.jt, {});
            return g_.add(f.code, f.k, t, from(pc + 1 + f.jf, {}));
          });
        auto taken = decide(f, a);
        if (!taken) return fail();
        pc += *taken ? f.jt : f.jf;
      } else if (f.code == (BPF_RET | BPF_K)) {
        return g_.add(f.code, f.k);
      } else if (f.code == (BPF_RET | BPF_A) && a.kind != Acc::kNr && a.kind != Acc::kArch) {
        return a.kind == Acc::kConst ? g_.add(BPF_RET | BPF_K, a.value) : g_.add(f.code, 0);
      } else {
        return fail();  // X, scratch memory, a return of the number, anything else
      }
      ++pc;
    }
    return -1;
  }

  bool ok() const { return ok_; }

 private:
  int fail() {
    ok_ = false;
    return -1;
  }

  // A node that depends on the accumulator's value when the program runs: made once per pc.
  template <class Make>
  int emitted(size_t pc, Make make) {
    if (auto it = memo_.find(pc); it != memo_.end()) return it->second;
    int n = make();
    memo_[pc] = n;
    return n;
  }

  std::optional<bool> decide(const sock_filter& f, Acc a) {
    switch (a.kind) {
      case Acc::kConst: return jump_taken(f.code, a.value, f.k);
      case Acc::kNr:
        if (BPF_OP(f.code) == BPF_JSET) return std::nullopt;  // not the same over a range
        return jump_taken(f.code, nr_, f.k);
      case Acc::kArch:
        if (BPF_OP(f.code) != BPF_JEQ) return std::nullopt;
        arches_named_.insert(f.k);
        return arch_ && *arch_ == f.k;
      case Acc::kUnknown: break;
    }
    return std::nullopt;
  }

  const std::vector<sock_filter>& prog_;
  Graph& g_;
  std::optional<uint32_t> arch_;
  uint32_t nr_;
  std::set<uint32_t>& arches_named_;
  std::unordered_map<size_t, int> memo_;
  bool ok_ = true;
};

// Lays the graph out from its end: each node after everything it jumps to. A conditional
// jump reaches 255 instructions; past that it goes through a copy of the return it wants,
// or an unconditional jump (32 bits) placed near it.
class Emitter {
 public:
  explicit Emitter(const Graph& g) : g_(g), near_(g.size(), -1) {}

  std::vector<sock_filter> program(int root) {
    place(root);
    return std::vector<sock_filter>(rev_.rbegin(), rev_.rend());
  }

 private:
  void place(int n) {
    if (near_[static_cast<size_t>(n)] >= 0) return;
    const Node& x = g_[n];
    if (is_cond_jump(x.code)) {
      place(x.jf);
      place(x.jt);
      long t = reach(x.jt, kShortJump - 1), f = reach(x.jf, kShortJump);
      long at = here();
      push({x.code, static_cast<uint8_t>(at - t - 1), static_cast<uint8_t>(at - f - 1), x.k}, n);
    } else if (x.jt >= 0) {
      place(x.jt);
      reach(x.jt, 0);  // a load or ALU step falls through to its next
      push({x.code, 0, 0, x.k}, n);
    } else {
      push({x.code, 0, 0, x.k}, n);
    }
  }

  long here() const { return static_cast<long>(rev_.size()); }

  // An index within `limit` instructions of the next one placed, from which n's work is done.
  long reach(int n, long limit) {
    long& at = near_[static_cast<size_t>(n)];
    if (here() - at - 1 <= limit) return at;
    const Node& x = g_[n];
    if (BPF_CLASS(x.code) == BPF_RET)
      rev_.push_back({x.code, 0, 0, x.k});
    else
      rev_.push_back({BPF_JMP | BPF_JA, 0, 0, static_cast<uint32_t>(here() - at - 1)});
    at = here() - 1;  // nearer for every later jump, which all come before it
    return at;
  }

  void push(sock_filter f, int n) {
    rev_.push_back(f);
    near_[static_cast<size_t>(n)] = here() - 1;
  }

  const Graph& g_;
  std::vector<long> near_;
  std::vector<sock_filter> rev_;  // the program, last instruction first
};

// Every number at which a test on the syscall number may change its outcome.
std::vector<uint32_t> range_starts(const std::vector<sock_filter>& prog) {
  std::vector<uint32_t> starts = {0};
  for (const auto& f : prog) {
    if (!is_cond_jump(f.code)) continue;
    starts.push_back(f.k);
    if (f.k != UINT32_MAX) starts.push_back(f.k + 1);
  }
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  return starts;
}

// The node deciding one architecture: a binary search over [starts[lo], starts[hi+1]).
int search(Graph& g, const std::vector<std::pair<uint32_t, int>>& ranges, size_t lo, size_t hi) {
  if (lo == hi) return ranges[lo].second;
  size_t mid = lo + (hi - lo + 1) / 2;
  int below = search(g, ranges, lo, mid - 1);
  return g.add(BPF_JMP | BPF_JGE | BPF_K, ranges[mid].first, search(g, ranges, mid, hi), below);
}

std::optional<int> per_arch(const std::vector<sock_filter>& prog, Graph& g, std::optional<uint32_t> arch,
                            const std::vector<uint32_t>& starts, std::set<uint32_t>& arches_named) {
  std::vector<std::pair<uint32_t, int>> ranges;  // (first number, node), neighbours differ
  for (uint32_t s : starts) {
    Walker w(prog, g, arch, s, arches_named);
    int n = w.from(0, {});
    if (!w.ok()) return std::nullopt;
    if (ranges.empty() || ranges.back().second != n) ranges.emplace_back(s, n);
  }
  int root = search(g, ranges, 0, ranges.size() - 1);
  return ranges.size() == 1 ? root : g.add(kLoad, kNrOff, root);
}

}  // namespace

std::optional<std::vector<sock_filter>> relayout_by_ranges(const std::vector<sock_filter>& prog) {
  if (prog.empty() || prog.size() > BPF_MAXINSNS) return std::nullopt;
  auto starts = range_starts(prog);
  std::set<uint32_t> arches;
  // The architectures are those prog compares with; walking may name more (a test met
  // only for some arch), so walk again until no new one turns up.
  for (;;) {
    std::set<uint32_t> named = arches;
    Graph g;
    std::vector<std::pair<uint32_t, int>> per;
    for (uint32_t a : arches) {
      auto n = per_arch(prog, g, a, starts, named);
      if (!n) return std::nullopt;
      per.emplace_back(a, *n);
    }
    auto other = per_arch(prog, g, std::nullopt, starts, named);
    if (!other) return std::nullopt;
    if (named != arches) {
      arches = std::move(named);
      continue;
    }
    int tail = *other;
    for (auto it = per.rbegin(); it != per.rend(); ++it) tail = g.add(BPF_JMP | BPF_JEQ | BPF_K, it->first, it->second, tail);
    int root = per.empty() ? tail : g.add(kLoad, kArchOff, tail);
    auto out = Emitter(g).program(root);
    if (out.size() > BPF_MAXINSNS) return std::nullopt;
    return out;
  }
}

}  // namespace stack::engine::runtime
