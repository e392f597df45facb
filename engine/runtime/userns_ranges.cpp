#include "engine/runtime/userns_ranges.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace stack::engine::runtime {
namespace {

constexpr std::string_view kHeader = "stack-userns 1";

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t a = 0;
  for (size_t b; (b = s.find(sep, a)) != std::string_view::npos; a = b + 1) out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}

std::optional<uint32_t> to_u32(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool valid_owner(std::string_view k) {
  return !k.empty() && std::none_of(k.begin(), k.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c));
  });
}

// The lowest start in `pool` where `size` ids overlap none of `taken`.
std::optional<uint32_t> first_fit(const std::vector<IdRange>& pool, std::vector<IdRange> taken, uint32_t size) {
  std::sort(taken.begin(), taken.end(), [](const IdRange& a, const IdRange& b) { return a.start < b.start; });
  for (const auto& segment : pool) {
    uint64_t at = segment.start;
    for (const auto& t : taken) {
      if (t.end() <= at) continue;
      if (t.start >= at + size) break;
      at = t.end();
    }
    if (at + size <= segment.end()) return static_cast<uint32_t>(at);
  }
  return std::nullopt;
}

Result<uint32_t> pick(const std::vector<IdRange>& pool, std::vector<IdRange> taken, uint32_t size, const char* what,
                      std::string_view owner, size_t held) {
  auto start = first_fit(pool, std::move(taken), size);
  if (start) return *start;
  std::string segments;
  for (const auto& s : pool)
    segments += (segments.empty() ? "" : ", ") + std::to_string(s.start) + "-" + std::to_string(s.end() - 1);
  return fail("no free range of " + std::to_string(size) + " host " + what + "s left for " + std::string(owner) +
              " in the pool " + (segments.empty() ? "(empty)" : segments) + " (" + std::to_string(held) +
              " ranges leased)");
}

}  // namespace

RangePool default_range_pool() {
  IdRange r{524288, 1879048192u - 524288u};
  return RangePool{{r}, {r}};
}

Result<std::vector<IdRange>> parse_subid(std::string_view text, std::string_view user, std::string_view file) {
  std::vector<IdRange> out;
  int lineno = 0;
  for (auto line : split(text, '\n')) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.empty() || f[0] != user) continue;
    auto start = f.size() == 3 ? to_u32(f[1]) : std::nullopt;
    auto count = f.size() == 3 ? to_u32(f[2]) : std::nullopt;
    if (!start || !count || *count == 0 || uint64_t{*start} + *count > (1ULL << 32) - 1)
      return fail(std::string(file) + ":" + std::to_string(lineno) + ": invalid range '" + std::string(line) +
                  "' (user:start:count)");
    out.push_back({*start, *count});
  }
  return out;
}

Result<RangeLedger> parse_range_ledger(std::string_view text) {
  RangeLedger l;
  int lineno = 0;
  for (auto line : split(text, '\n')) {
    ++lineno;
    if (lineno == 1) {
      if (line != kHeader)
        return fail("userns ledger: unknown format '" + std::string(line) + "', expected '" + std::string(kHeader) + "'");
      continue;
    }
    if (line.empty()) continue;
    auto w = split(line, ' ');
    std::optional<uint32_t> uid, gid, size;
    if (w.size() == 5 && w[0] == "lease") uid = to_u32(w[2]), gid = to_u32(w[3]), size = to_u32(w[4]);
    if (!uid || !gid || !size || !valid_owner(w[1]))
      return fail("userns ledger line " + std::to_string(lineno) + ": unknown record '" + std::string(line) + "'");
    l.leases.push_back({std::string(w[1]), *uid, *gid, *size});
  }
  return l;
}

std::string format_range_ledger(const RangeLedger& l) {
  std::string out(kHeader);
  out += '\n';
  for (const auto& r : l.leases)
    out += "lease " + r.owner + " " + std::to_string(r.uid) + " " + std::to_string(r.gid) + " " +
           std::to_string(r.size) + "\n";
  return out;
}

const RangeLease* find_lease(const RangeLedger& l, std::string_view owner) {
  for (const auto& r : l.leases)
    if (r.owner == owner) return &r;
  return nullptr;
}

Result<RangeLease> lease_range(RangeLedger& l, const RangePool& pool, std::string_view owner, uint32_t size) {
  if (!valid_owner(owner)) return fail("invalid userns lease owner '" + std::string(owner) + "'");
  if (size == 0) return fail("a userns range of 0 ids for " + std::string(owner));
  if (const RangeLease* held = find_lease(l, owner)) {
    if (held->size == size) return *held;
    release_range(l, owner);  // userns_mode changed its size: a new range
  }
  std::vector<IdRange> uids, gids;
  for (const auto& r : l.leases) {
    uids.push_back({r.uid, r.size});
    gids.push_back({r.gid, r.size});
  }
  auto uid = pick(pool.uids, std::move(uids), size, "uid", owner, l.leases.size());
  if (!uid) return unexpected(uid.error());
  auto gid = pick(pool.gids, std::move(gids), size, "gid", owner, l.leases.size());
  if (!gid) return unexpected(gid.error());
  l.leases.push_back({std::string(owner), *uid, *gid, size});
  return l.leases.back();
}

bool release_range(RangeLedger& l, std::string_view owner) {
  return std::erase_if(l.leases, [&](const RangeLease& r) { return r.owner == owner; }) > 0;
}

}  // namespace stack::engine::runtime
