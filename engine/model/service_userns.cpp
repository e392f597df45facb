// userns_mode of a service: "host" (the default: the host's user namespace, as Docker
// without userns-remap) or podman's "auto[:size=N]" (a user namespace of its own with a
// fresh range of N host ids, 65536 by default, leased per container at start).
#include <charconv>

#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

constexpr const char* kForms = " (host, auto, auto:size=N)";

}  // namespace

Result<uint32_t> read_userns_mode(const Node& v, const std::string& path) {
  auto text = read_string(v, path);
  if (!text) return unexpected(std::move(text).error());
  const std::string& m = *text;
  if (m.empty() || m == "host") return 0u;
  if (m == "auto") return kDefaultUsernsSize;
  if (m.rfind("auto:", 0) == 0) {
    std::string opt = m.substr(5);
    if (opt.rfind("size=", 0) != 0)
      return fail_at(v, path, "userns_mode option " + quote(opt) + " is not supported by stack" + kForms);
    std::string n = opt.substr(5);
    uint64_t size = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), size);
    if (n.empty() || ec != std::errc() || end != n.data() + n.size() || size == 0 || size > kMaxUsernsSize)
      return fail_at(v, path, "invalid userns_mode size " + quote(n) + " (1 to " + std::to_string(kMaxUsernsSize) +
                                  " ids)");
    return static_cast<uint32_t>(size);
  }
  if (m == "private" || m == "keep-id" || m == "nomap" || m.rfind("keep-id:", 0) == 0 || m.rfind("ns:", 0) == 0 ||
      m.rfind("container:", 0) == 0)
    return fail_at(v, path, "userns_mode " + quote(m) + " is not supported by stack" + kForms);
  return fail_at(v, path, "invalid userns_mode " + quote(m) + kForms);
}

Result<void> check_userns_mode(const Node& service, const Service& s, const std::string& path) {
  if (!s.userns_size) return {};
  const Node* v = service.find("userns_mode");
  std::string p = join_path(path, "userns_mode");
  std::string mode = quote(s.userns_mode);
  if (s.privileged)
    return fail_at(*v, p, "userns_mode " + mode + " cannot be used with privileged: true (a privileged container "
                          "has the host's user namespace, as with Docker; use userns_mode: host)");
  if (s.network_mode == "host")
    return fail_at(*v, p, "userns_mode " + mode + " cannot be used with network_mode \"host\" (the host's network "
                          "namespace belongs to the host's user namespace: its /sys cannot be mounted from another)");
  if (s.network_mode.rfind("service:", 0) == 0)
    return fail_at(*v, p, "userns_mode " + mode + " cannot be used with network_mode " + quote(s.network_mode) +
                              " (joining another container's namespace needs CAP_SYS_ADMIN where it was made)");
  return {};
}

}  // namespace stack::model
