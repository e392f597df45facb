#include "network/nat.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <functional>

#include "engine/base/file.hpp"
#include "engine/base/unique_fd.hpp"
#include "network/names.hpp"
#include "network/nat_nft.hpp"
#include "network/netns.hpp"

namespace stack::net {

namespace {

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

const std::string kAnyBridge = quoted(std::string(kBridgePrefix) + "*");

void forward_rules(std::string& s, const NatNetwork& n) {
  const std::string b = quoted(n.bridge);
  if (n.internal) {
    s += "    iifname " + b + " oifname != " + b + " drop\n";
    s += "    oifname " + b + " iifname != " + b + " drop\n";
    return;
  }
  s += "    iifname " + b + " oifname " + kAnyBridge + " oifname != " + b + " drop\n";
  s += "    oifname " + b + " iifname " + kAnyBridge + " iifname != " + b + " drop\n";
}

}  // namespace

std::string nat_script(const NatConfig& c) {
  const std::string t = "table ip " + c.table;
  // Declaring then deleting makes the replacement one atomic transaction that works
  // whether or not the table exists (nft(8): a script is applied all or nothing).
  std::string s = t + "\ndelete " + t + "\n" + t + " {\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  for (const auto& n : c.networks) {
    if (n.internal) continue;
    s += "    ip saddr " + format(Cidr{n.subnet.network(), n.subnet.prefix}) + " oifname != " + kAnyBridge +
         " masquerade\n";
  }
  s += "  }\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n";
  for (const auto& n : c.networks) forward_rules(s, n);
  s += "  }\n  chain input {\n    type filter hook input priority filter; policy accept;\n";
  for (const auto& n : c.networks) {
    const std::string b = quoted(n.bridge);
    s += "    ip daddr " + format(n.gateway) + " iifname " + kAnyBridge + " iifname != " + b + " drop\n";
  }
  s += "  }\n}\n";
  return s;
}

namespace {

bool valid_table(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char ch : t)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return false;
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<NatOutcome> apply_nat(const NatConfig& c, const Netns* ns) {
  if (!valid_table(c.table)) return fail_errno(EINVAL, "invalid nftables table name '" + c.table + "'");
  auto nft = find_nft();
  if (!nft)
    return NatOutcome{false,
                      "nft not found (Debian package nftables): no outbound NAT and no isolation rules for "
                      "table '" +
                          c.table + "'; containers cannot reach outside networks"};
  return apply_nat_using(*nft, c, ns);
}

Result<NatOutcome> apply_nat_using(const std::string& nft, const NatConfig& c, const Netns* ns) {
  if (!valid_table(c.table)) return fail_errno(EINVAL, "invalid nftables table name '" + c.table + "'");
  auto run = run_nft(nft, nat_script(c), ns);
  if (!run) return unexpected(run.error().wrap("setting up nftables table '" + c.table + "'"));
  if (run->status == 127)
    return NatOutcome{
        false, "could not run '" + nft + "': no outbound NAT and no isolation rules for table '" + c.table + "'"};
  if (run->status != 0)
    return NatOutcome{false, "nft could not set up table '" + c.table + "' (exit " + std::to_string(run->status) +
                                 "): " + trimmed(run->output) + "; no outbound NAT and no isolation rules"};
  return NatOutcome{true, {}};
}

Result<bool> nat_table_exists(std::string_view table, const Netns* ns) {
  if (!valid_table(table)) return fail_errno(EINVAL, "invalid nftables table name '" + std::string(table) + "'");
  auto nft = find_nft();
  if (!nft) return false;
  auto run = run_nft(*nft, "list table ip " + std::string(table) + "\n", ns);
  if (!run) return unexpected(std::move(run).error());
  if (run->status == 0) return true;
  if (run->output.find("No such file or directory") != std::string::npos) return false;
  return fail("failed to list nftables table '" + std::string(table) + "': " + trimmed(run->output));
}

Result<bool> delete_nat_table(std::string_view table, const Netns* ns) {
  if (!valid_table(table)) return fail_errno(EINVAL, "invalid nftables table name '" + std::string(table) + "'");
  auto nft = find_nft();
  if (!nft) return false;
  auto run = run_nft(*nft, "delete table ip " + std::string(table) + "\n", ns);
  if (!run) return unexpected(std::move(run).error());
  if (run->status == 0) return true;
  // nft reports the kernel's ENOENT for a table that is not there (C locale).
  if (run->output.find("No such file or directory") != std::string::npos) return false;
  return fail("failed to delete nftables table '" + std::string(table) + "': " + trimmed(run->output));
}

namespace {

constexpr const char* kIpForward = "/proc/sys/net/ipv4/ip_forward";

// /proc/sys/net shows the netns of the task that opens it (proc_sys_net, net/sysctl_net.c),
// so a thread inside `ns` sees that namespace's sysctls.
Result<void> in_ns(const Netns* ns, const std::function<Result<void>()>& fn) {
  return ns ? run_in_netns(*ns, fn) : fn();
}

}  // namespace

Result<bool> ip_forward_enabled(const Netns* ns) {
  bool on = false;
  STACK_TRY(in_ns(ns, [&]() -> Result<void> {
    auto v = read_file(kIpForward);
    if (!v) return unexpected(std::move(v).error());
    on = !v->empty() && (*v)[0] == '1';
    return {};
  }));
  return on;
}

Result<bool> enable_ip_forward(const Netns* ns) {
  bool changed = false;
  STACK_TRY(in_ns(ns, [&]() -> Result<void> {
    auto v = read_file(kIpForward);
    if (!v) return unexpected(std::move(v).error());
    if (!v->empty() && (*v)[0] == '1') return {};
    UniqueFd fd(::open(kIpForward, O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), "1\n", 2) != 2) return fail_errno(std::string("failed to enable ") + kIpForward);
    changed = true;
    return {};
  }));
  return changed;
}

}  // namespace stack::net
