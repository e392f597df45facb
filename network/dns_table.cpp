#include "network/dns_table.hpp"

#include <algorithm>

#include "network/dns_message.hpp"

namespace stack::net::dns {

void NameTable::set(std::string_view owner, const std::vector<std::string>& names,
                    const std::vector<in_addr>& addresses) {
  remove(owner);
  Entry e;
  for (const auto& n : names) {
    std::string c = canonical_name(n);
    if (c.empty() || std::find(e.names.begin(), e.names.end(), c) != e.names.end()) continue;
    e.names.push_back(c);
    by_name_[c].insert(std::string(owner));
  }
  e.addresses = addresses;
  owners_.emplace(std::string(owner), std::move(e));
}

bool NameTable::remove(std::string_view owner) {
  auto it = owners_.find(owner);
  if (it == owners_.end()) return false;
  for (const auto& n : it->second.names) {
    auto b = by_name_.find(n);
    if (b == by_name_.end()) continue;
    b->second.erase(it->first);
    if (b->second.empty()) by_name_.erase(b);
  }
  owners_.erase(it);
  return true;
}

void NameTable::clear() {
  owners_.clear();
  by_name_.clear();
}

std::vector<in_addr> NameTable::lookup(std::string_view name) const {
  std::vector<in_addr> out;
  auto b = by_name_.find(canonical_name(name));
  if (b == by_name_.end()) return out;
  for (const auto& owner : b->second) {
    for (const in_addr& a : owners_.at(owner).addresses) {
      bool dup = std::any_of(out.begin(), out.end(), [&](const in_addr& x) { return x.s_addr == a.s_addr; });
      if (!dup) out.push_back(a);
    }
  }
  return out;
}

bool NameTable::contains(std::string_view name) const { return by_name_.find(canonical_name(name)) != by_name_.end(); }

}  // namespace stack::net::dns
