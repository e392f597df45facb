#pragma once
// The names one network's view of the embedded DNS answers. Each network (bridge) has
// its own table, so a container only resolves names on the networks it is attached to.
//
// Records belong to an owner (a container, or "extra_hosts"): one owner has several
// names (service name, <project>-<service>-<n>, container_name, aliases) and addresses
// on this network. A name answers with the addresses of every owner that has it, which
// is how a scaled service answers with all its replicas. Names are case-insensitive.
#include <netinet/in.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace stack::net::dns {

class NameTable {
 public:
  // Replaces everything `owner` had before.
  void set(std::string_view owner, const std::vector<std::string>& names, const std::vector<in_addr>& addresses);
  // True if the owner had records.
  bool remove(std::string_view owner);
  void clear();

  // Addresses for a name (in owner order, without duplicates); empty if unknown.
  std::vector<in_addr> lookup(std::string_view name) const;
  bool contains(std::string_view name) const;
  std::size_t owner_count() const { return owners_.size(); }

 private:
  struct Entry {
    std::vector<std::string> names;  // canonical
    std::vector<in_addr> addresses;
  };
  std::map<std::string, Entry, std::less<>> owners_;
  std::map<std::string, std::set<std::string>, std::less<>> by_name_;  // name -> owners
};

}  // namespace stack::net::dns
