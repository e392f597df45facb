// ports and expose: short syntax "[ip:][host[-end]:]container[-end][/proto]" parsed as
// docker's go-connections nat.ParsePortSpec does, ranges expanded to one entry per port.
#include <charconv>

#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

// Ranges expand to one entry per port; a service cannot usefully publish more than the
// port space, and the cap keeps "1-65535" written a thousand times from exhausting memory.
constexpr size_t kMaxPorts = 65536;

struct Range {
  uint32_t first = 0;
  uint32_t last = 0;
  uint32_t size() const { return last - first + 1; }
};

bool parse_port_number(std::string_view s, uint32_t& out) {
  if (s.empty() || s.size() > 5) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out <= 65535;
}

// "80" or "8000-8010"; on failure `bad` is the offending text.
bool parse_range(std::string_view s, Range& r, std::string& bad) {
  auto dash = s.find('-');
  std::string_view a = s.substr(0, dash);
  std::string_view b = dash == std::string_view::npos ? a : s.substr(dash + 1);
  if (!parse_port_number(a, r.first)) {
    bad = std::string(a);
    return false;
  }
  if (!parse_port_number(b, r.last) || r.last < r.first) {
    bad = std::string(s);
    return false;
  }
  return true;
}

bool valid_protocol(std::string_view p) { return p == "tcp" || p == "udp" || p == "sctp"; }

Unexpected<Error> bad_port(const Node& n, const std::string& path, const std::string& bad) {
  std::string msg = "invalid port " + quote(bad);
  if (bad != n.text) msg += " in " + quote(n.text);
  return fail_at(n, path, msg);
}

Result<void> short_port(const Node& n, const std::string& path, std::vector<Port>& out) {
  std::string spec = n.text;
  std::string proto = "tcp";
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    proto = spec.substr(slash + 1);
    spec.resize(slash);
    if (!valid_protocol(proto)) return fail_at(n, path, "invalid protocol " + quote(proto) + " in " + quote(n.text));
  }
  std::string ip, host, container;
  auto last = spec.rfind(':');
  if (last == std::string::npos) {
    container = spec;
  } else {
    container = spec.substr(last + 1);
    std::string rest = spec.substr(0, last);
    auto prev = rest.rfind(':');
    if (prev == std::string::npos) {
      host = rest;
    } else {
      host = rest.substr(prev + 1);
      ip = rest.substr(0, prev);
      if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
      if (ip.empty()) return fail_at(n, path, "empty host IP in " + quote(n.text));
    }
  }
  Range c, h;
  std::string bad;
  if (!parse_range(container, c, bad)) return bad_port(n, path, bad);
  bool has_host = !host.empty();
  if (has_host && !parse_range(host, h, bad)) return bad_port(n, path, bad);
  if (has_host && c.size() != h.size() && c.size() != 1) {
    return fail_at(n, path, "port ranges do not match in " + quote(n.text));
  }
  for (uint32_t i = 0; i < c.size(); ++i) {
    Port p;
    p.target = c.first + i;
    p.host_ip = ip;
    p.protocol = proto;
    if (has_host) {
      if (c.size() == h.size()) {
        p.published = std::to_string(h.first + i);
      } else {
        p.published = std::to_string(h.first) + "-" + std::to_string(h.last);
      }
    }
    out.push_back(std::move(p));
  }
  return {};
}

Result<Port> long_port(const Node& n, const std::string& path) {
  STACK_TRY(check_keys(n, path, {"target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"}));
  Port p;
  const Node* target = n.find("target");
  if (!target) return fail_at(n, path, "missing \"target\"");
  auto t = read_int(*target, join_path(path, "target"), 0, 65535);
  if (!t) return unexpected(std::move(t).error());
  p.target = static_cast<uint32_t>(*t);
  for (const auto& e : n.entries) {
    std::string kp = join_path(path, e.key.text);
    if (e.key.text == "target" || e.value.is_null()) continue;
    auto s = read_string(e.value, kp);
    if (!s) return unexpected(std::move(s).error());
    if (e.key.text == "published") {
      Range r;
      std::string bad;
      if (!parse_range(*s, r, bad)) return bad_port(e.value, kp, bad);
      p.published = *s;
    } else if (e.key.text == "host_ip") {
      p.host_ip = *s;
    } else if (e.key.text == "protocol") {
      if (!valid_protocol(*s)) return fail_at(e.value, kp, "invalid protocol " + quote(*s));
      p.protocol = *s;
    } else if (e.key.text == "mode") {
      if (*s != "host" && *s != "ingress") return fail_at(e.value, kp, "mode must be host or ingress");
      p.mode = *s;
    } else if (e.key.text == "name") {
      p.name = *s;
    } else if (e.key.text == "app_protocol") {
      p.app_protocol = *s;
    }
  }
  return p;
}

}  // namespace

Result<std::vector<Port>> read_ports(const Node& n, const std::string& path) {
  if (!n.is_seq()) return fail_at(n, path, std::string("expected a list of ports, got ") + n.kind_name());
  std::vector<Port> out;
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    std::string p = index_path(path, i);
    if (item.is_scalar()) {
      STACK_TRY(short_port(item, p, out));
    } else if (item.is_map()) {
      auto port = long_port(item, p);
      if (!port) return unexpected(std::move(port).error());
      out.push_back(std::move(*port));
    } else {
      return fail_at(item, p, std::string("expected a port, got ") + item.kind_name());
    }
    if (out.size() > kMaxPorts) return fail_at(item, p, "more than " + std::to_string(kMaxPorts) + " ports");
  }
  return out;
}

Result<std::vector<std::string>> read_expose(const Node& n, const std::string& path) {
  auto list = read_string_list(n, path);
  if (!list) return unexpected(std::move(list).error());
  for (size_t i = 0; i < list->size(); ++i) {
    std::string spec = (*list)[i];
    const Node& item = n.items[i];
    if (auto slash = spec.rfind('/'); slash != std::string::npos) {
      if (!valid_protocol(spec.substr(slash + 1))) {
        return fail_at(item, index_path(path, i), "invalid protocol in " + quote(item.text));
      }
      spec.resize(slash);
    }
    Range r;
    std::string bad;
    if (!parse_range(spec, r, bad)) return bad_port(item, index_path(path, i), bad);
  }
  return list;
}

}  // namespace stack::model
