#include "network/ipam_state.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace stack::net {

namespace {

constexpr std::string_view kHeader = "stack-ipam 1";

bool valid_key(std::string_view k) {
  if (k.empty()) return false;
  return std::none_of(k.begin(), k.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c));
  });
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<void> parse_line(IpamState& st, std::string_view line, int lineno) {
  auto bad = [&](const std::string& why) {
    return fail("IPAM state line " + std::to_string(lineno) + ": " + why + ": '" + std::string(line) + "'");
  };
  auto w = split_words(line);
  if (w.empty()) return {};
  if (w[0] == "boot" && w.size() == 2) {
    st.boot = std::string(w[1]);
    return {};
  }
  if (w[0] == "subnet" && w.size() == 4) {
    auto c = parse_cidr(w[2], true);
    auto g = parse_ipv4(w[3]);
    if (!c) return bad(c.error().message);
    if (!g) return bad(g.error().message);
    st.subnets.push_back({std::string(w[1]), *c, *g});
    return {};
  }
  if (w[0] == "address" && w.size() == 4) {
    auto a = parse_ipv4(w[3]);
    if (!a) return bad(a.error().message);
    st.addresses.push_back({std::string(w[1]), std::string(w[2]), *a});
    return {};
  }
  return bad("unknown record");
}

std::string describe(const HostRoute& r) {
  return "host route " + format(r.destination) + (r.device.empty() ? "" : " dev " + r.device);
}

}  // namespace

Result<IpamState> parse_ipam_state(std::string_view text) {
  IpamState st;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1) {
      if (line != kHeader)
        return fail("IPAM state: unknown format '" + line + "', expected '" + std::string(kHeader) + "'");
      continue;
    }
    STACK_TRY(parse_line(st, line, lineno));
  }
  return st;
}

std::string format_ipam_state(const IpamState& st) {
  std::string out(kHeader);
  out += '\n';
  if (!st.boot.empty()) out += "boot " + st.boot + "\n";
  for (const auto& s : st.subnets)
    out += "subnet " + s.network + " " + format(s.subnet) + " " + format(s.gateway) + "\n";
  for (const auto& a : st.addresses) out += "address " + a.network + " " + a.container + " " + format(a.address) + "\n";
  return out;
}

const SubnetLease* find_subnet(const IpamState& st, std::string_view network) {
  for (const auto& s : st.subnets)
    if (s.network == network) return &s;
  return nullptr;
}

namespace {

// A subnet may be used if no other network holds an overlapping one and no host route
// other than the default route and the network's own bridge routes overlaps it.
Result<void> check_free(const IpamState& st, std::string_view network, const Cidr& subnet,
                        const std::vector<HostRoute>& routes, std::string_view own_device) {
  for (const auto& s : st.subnets) {
    if (s.network != network && s.subnet.overlaps(subnet))
      return fail("subnet " + format(subnet) + " of network '" + std::string(network) + "' overlaps subnet " +
                  format(s.subnet) + " of network '" + s.network + "'");
  }
  for (const auto& r : routes) {
    if (r.destination.prefix == 0) continue;
    if (!own_device.empty() && r.device == own_device) continue;
    if (r.destination.overlaps(subnet))
      return fail("subnet " + format(subnet) + " of network '" + std::string(network) + "' overlaps the " +
                  describe(r) + "; choose another subnet (ipam.config) or address pool");
  }
  return {};
}

Result<Ipv4> pick_gateway(const Cidr& subnet, const SubnetRequest& req, std::string_view network) {
  if (!req.gateway) {
    if (subnet.prefix > 30)
      return fail("subnet " + format(subnet) + " of network '" + std::string(network) +
                  "' is too small: it needs a gateway and at least one container");
    return subnet.host(1);
  }
  if (!subnet.usable_host(*req.gateway))
    return fail("gateway " + format(*req.gateway) + " of network '" + std::string(network) +
                "' is not a usable address of subnet " + format(subnet));
  return *req.gateway;
}

}  // namespace

Result<SubnetLease> reserve_subnet(IpamState& st, const PoolConfig& pool, std::string_view network,
                                   const SubnetRequest& req, const std::vector<HostRoute>& routes,
                                   std::string_view own_device) {
  if (!valid_key(network)) return fail("invalid network key '" + std::string(network) + "'");
  if (pool.prefix < pool.pool.prefix || pool.prefix > 30)
    return fail("address pool " + format(pool.pool) + " cannot be cut into /" + std::to_string(pool.prefix) +
                " subnets (the size must be between /" + std::to_string(pool.pool.prefix) + " and /30)");
  if (req.gateway && !req.subnet)
    return fail("network '" + std::string(network) + "': a gateway needs a subnet in ipam.config");
  std::optional<Cidr> wanted;
  if (req.subnet) wanted = Cidr{req.subnet->network(), req.subnet->prefix};
  if (const SubnetLease* held = find_subnet(st, network)) {
    if (wanted && *wanted != held->subnet)
      return fail("network '" + std::string(network) + "' already holds subnet " + format(held->subnet) +
                  ", not the requested " + format(*wanted) + "; remove the network first to change it");
    if (req.gateway && *req.gateway != held->gateway)
      return fail("network '" + std::string(network) + "' already has gateway " + format(held->gateway) +
                  ", not the requested " + format(*req.gateway) + "; remove the network first to change it");
    STACK_TRY(check_free(st, network, held->subnet, routes, own_device));
    return *held;
  }
  Cidr subnet;
  if (wanted) {
    subnet = *wanted;
    STACK_TRY(check_free(st, network, subnet, routes, own_device));
  } else {
    std::vector<Cidr> taken;
    for (const auto& s : st.subnets) taken.push_back(s.subnet);
    for (const auto& r : routes)
      if (r.destination.prefix > 0 && (own_device.empty() || r.device != own_device)) taken.push_back(r.destination);
    auto next = next_free_subnet(pool.pool, pool.prefix, taken);
    if (!next)
      return fail("address pool " + format(pool.pool) + " has no free /" + std::to_string(pool.prefix) +
                  " left for network '" + std::string(network) + "' (" + std::to_string(st.subnets.size()) +
                  " subnets leased; host routes also count)");
    subnet = *next;
  }
  auto gw = pick_gateway(subnet, req, network);
  if (!gw) return unexpected(std::move(gw).error());
  st.subnets.push_back({std::string(network), subnet, *gw});
  return st.subnets.back();
}

namespace {

const AddressLease* holder_of(const IpamState& st, std::string_view network, Ipv4 a) {
  for (const auto& l : st.addresses)
    if (l.network == network && l.address == a) return &l;
  return nullptr;
}

}  // namespace

Result<Ipv4> reserve_address(IpamState& st, std::string_view network, std::string_view container,
                             std::optional<Ipv4> wanted) {
  if (!valid_key(container)) return fail("invalid container key '" + std::string(container) + "'");
  const SubnetLease* sub = find_subnet(st, network);
  if (!sub) return fail("network '" + std::string(network) + "' has no subnet reserved");
  const SubnetLease lease = *sub;
  for (auto it = st.addresses.begin(); it != st.addresses.end(); ++it) {
    if (it->network != network || it->container != container) continue;
    if (!wanted || *wanted == it->address) return it->address;
    st.addresses.erase(it);  // ipv4_address changed: give up the old one
    break;
  }
  auto where = "network '" + std::string(network) + "' (" + format(lease.subnet) + ")";
  if (wanted) {
    if (!lease.subnet.usable_host(*wanted))
      return fail("address " + format(*wanted) + " for '" + std::string(container) + "' is not usable on " + where);
    if (*wanted == lease.gateway)
      return fail("address " + format(*wanted) + " for '" + std::string(container) + "' is the gateway of " + where);
    if (const AddressLease* h = holder_of(st, network, *wanted))
      return fail("address " + format(*wanted) + " for '" + std::string(container) + "' is already held by '" +
                  h->container + "' on " + where);
    st.addresses.push_back({std::string(network), std::string(container), *wanted});
    return *wanted;
  }
  for (std::uint64_t n = 1; n < lease.subnet.size(); ++n) {
    Ipv4 cand = lease.subnet.host(static_cast<std::uint32_t>(n));
    if (!lease.subnet.usable_host(cand) || cand == lease.gateway || holder_of(st, network, cand)) continue;
    st.addresses.push_back({std::string(network), std::string(container), cand});
    return cand;
  }
  return fail("no free address left on " + where + " for '" + std::string(container) + "'");
}

bool release_address(IpamState& st, std::string_view network, std::string_view container) {
  return std::erase_if(st.addresses,
                       [&](const AddressLease& l) { return l.network == network && l.container == container; }) > 0;
}

bool release_subnet(IpamState& st, std::string_view network) {
  std::erase_if(st.addresses, [&](const AddressLease& l) { return l.network == network; });
  return std::erase_if(st.subnets, [&](const SubnetLease& s) { return s.network == network; }) > 0;
}

bool adopt_boot(IpamState& st, std::string_view boot) {
  bool dropped = false;
  if (!st.boot.empty() && st.boot != boot) {
    dropped = !st.subnets.empty() || !st.addresses.empty();
    st = IpamState{};
  }
  st.boot = std::string(boot);
  return dropped;
}

}  // namespace stack::net
