#include "cmd/limit_enforcement.hpp"

#include "cmd/run_cgroup.hpp"

namespace stack::cli {

Result<cgroup::Enforcement> enforcement_of(const model::Service& s, bool ignore_all) {
  bool ignore = ignore_all;
  if (auto it = s.extensions.find(kIgnoreUnenforcedKey); it != s.extensions.end()) {
    if (!it->is_boolean()) return fail("service " + s.name + ": " + kIgnoreUnenforcedKey + ": must be true or false");
    ignore = ignore || it->get<bool>();
  }
  return ignore ? cgroup::Enforcement::kWarn : cgroup::Enforcement::kStrict;
}

Result<void> check_project_limits(const model::Project& p, bool ignore_all) {
  std::unique_ptr<cgroup::Driver> driver;
  for (const auto& [name, s] : p.services) {
    auto e = enforcement_of(s, ignore_all);
    if (!e) return unexpected(e.error());
    if (*e == cgroup::Enforcement::kWarn) continue;
    auto limits = service_limits(s);
    if (!limits) return unexpected(limits.error());
    if (!driver) {
      auto d = cgroup::make_host_driver();
      if (!d) return unexpected(d.error());
      driver = std::move(*d);
    }
    auto w = driver->check(*limits, *e);
    if (!w) return unexpected(w.error().wrap("service " + name));
  }
  return {};
}

}  // namespace stack::cli
