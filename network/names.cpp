#include "network/names.hpp"

#include <cctype>
#include <cstdio>

namespace stack::net {

namespace {

// FNV-1a, then the splitmix64 finalizer so that every output bit depends on every
// input bit (FNV alone leaves the low bits weak, and we keep only some of them).
std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::string hex(std::uint64_t v, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf + 16 - digits, static_cast<std::size_t>(digits));
}

}  // namespace

std::uint64_t name_hash(std::initializer_list<std::string_view> parts) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&](unsigned char c) {
    h ^= c;
    h *= 0x100000001b3ULL;
  };
  for (std::string_view p : parts) {
    // Length-prefix each part: no separator byte can be confused with content.
    for (std::size_t n = p.size(), i = 0; i < 8; ++i, n >>= 8) feed(static_cast<unsigned char>(n & 0xff));
    for (char c : p) feed(static_cast<unsigned char>(c));
  }
  return mix(h);
}

std::string bridge_name(std::string_view full_name) {
  return std::string(kBridgePrefix) + hex(name_hash({"bridge", full_name}), 12);
}

std::string bridge_name(std::string_view project, std::string_view network) {
  std::string full(project);
  full += '_';
  full += network;
  return bridge_name(full);
}

std::string veth_name(std::string_view container, std::string_view network) {
  return std::string(kVethPrefix) + hex(name_hash({"veth", container, network}), 13);
}

std::string container_ifname(unsigned index) { return "eth" + std::to_string(index); }

std::string nat_table_name(std::string_view project) {
  return std::string(kNatTablePrefix) + hex(name_hash({"nat", project}), 12);
}

bool valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > kIfNameMax || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '\0') return false;
  }
  return true;
}

}  // namespace stack::net
