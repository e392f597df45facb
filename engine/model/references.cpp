// Cross references between services, networks and volumes, and depends_on cycles.
#include <algorithm>

#include "engine/model/normalize.hpp"

namespace stack::model {
namespace {

// Points at the entry if its place is known, else at the field, else at the service.
Unexpected<Error> fail_in(const Service& s, const std::string& field, const std::string& message) {
  const Mark* m = s.mark_of(field);
  if (!m) m = s.mark_of(field.substr(0, field.find_first_of(".[")));
  std::string where = m ? m->str() : s.mark.str();
  return fail(where + ": services." + s.name + "." + field + ": " + message);
}

bool disabled(const Project& p, const std::string& name) {
  return std::find(p.disabled_services.begin(), p.disabled_services.end(), name) != p.disabled_services.end();
}

Result<void> resolve_service(Project& p, Service& s) {
  if (s.network_mode.rfind("service:", 0) == 0) {
    std::string target = s.network_mode.substr(8);
    if (!p.services.count(target)) {
      return fail_in(s, "network_mode", "service " + quote(target) + " is not defined");
    }
  }
  for (auto it = s.depends_on.begin(); it != s.depends_on.end();) {
    if (p.services.count(it->first)) {
      ++it;
      continue;
    }
    if (!it->second.required) {
      it = s.depends_on.erase(it);
      continue;
    }
    if (disabled(p, it->first)) {
      return fail_in(s, "depends_on." + it->first, "service " + quote(it->first) + " is not enabled by the active profiles");
    }
    return fail_in(s, "depends_on." + it->first, "service " + quote(it->first) + " is not defined");
  }
  for (const auto& [net, opts] : s.networks) {
    if (!p.networks.count(net)) return fail_in(s, "networks." + net, "network " + quote(net) + " is not defined");
  }
  for (size_t i = 0; i < s.volumes.size(); ++i) {
    const auto& v = s.volumes[i];
    if (v.type == "volume" && !v.source.empty() && !p.volumes.count(v.source)) {
      return fail_in(s, index_path("volumes", i), "volume " + quote(v.source) + " is not defined in the top-level volumes");
    }
  }
  return {};
}

std::vector<std::string> edges(const Service& s) {
  std::vector<std::string> out;
  for (const auto& [dep, d] : s.depends_on) out.push_back(dep);
  if (s.network_mode.rfind("service:", 0) == 0) out.push_back(s.network_mode.substr(8));
  return out;
}

// Iterative depth-first search, so that a long chain cannot exhaust the stack.
Result<void> check_cycles(const Project& p) {
  std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
  for (const auto& [root, unused] : p.services) {
    if (state[root]) continue;
    std::vector<std::pair<std::string, size_t>> path{{root, 0}};
    state[root] = 1;
    while (!path.empty()) {
      auto& [name, next] = path.back();
      auto out = edges(p.services.at(name));
      if (next >= out.size()) {
        state[name] = 2;
        path.pop_back();
        continue;
      }
      std::string dep = out[next++];
      if (!p.services.count(dep)) continue;
      if (state[dep] == 1) {
        std::string msg;
        bool on = false;
        for (const auto& [n, i] : path) {
          on = on || n == dep;
          if (on) msg += n + " -> ";
        }
        const Service& s = p.services.at(name);
        return fail_in(s, "depends_on." + dep, "dependency cycle: " + msg + dep);
      }
      if (state[dep] == 0) {
        state[dep] = 1;
        path.emplace_back(dep, 0);
      }
    }
  }
  return {};
}

}  // namespace

Result<void> resolve_references(Project& p) {
  for (auto& [name, s] : p.services) STACK_TRY(resolve_service(p, s));
  return check_cycles(p);
}

}  // namespace stack::model
