#include "engine/model/project.hpp"


namespace stack::model {

std::string Mark::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

uint64_t Service::replicas() const {
  if (scale) return *scale;
  if (deploy && deploy->replicas) return *deploy->replicas;
  return 1;
}

const Mark* Service::mark_of(const std::string& field) const {
  auto it = marks.find(field);
  return it == marks.end() ? nullptr : &it->second;
}

const Service* Project::service(const std::string& n) const {
  auto it = services.find(n);
  return it == services.end() ? nullptr : &it->second;
}

std::vector<std::string> Project::start_order() const {
  // Post-order depth-first search over depends_on (and network_mode: service:X), kept
  // iterative so that a long chain cannot exhaust the stack. The loader has rejected
  // cycles; `seen` only guards against revisiting.
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const auto& [root, unused] : services) {
    if (!seen.insert(root).second) continue;
    std::vector<std::pair<std::string, std::vector<std::string>>> path;
    auto deps_of = [this](const std::string& n) {
      std::vector<std::string> d;
      const Service& s = services.at(n);
      for (const auto& [dep, x] : s.depends_on) d.push_back(dep);
      if (s.network_mode.rfind("service:", 0) == 0) d.push_back(s.network_mode.substr(8));
      return d;
    };
    path.emplace_back(root, deps_of(root));
    while (!path.empty()) {
      auto& top = path.back();
      if (top.second.empty()) {
        order.push_back(top.first);
        path.pop_back();
        continue;
      }
      std::string dep = top.second.back();
      top.second.pop_back();
      if (services.count(dep) && seen.insert(dep).second) path.emplace_back(dep, deps_of(dep));
    }
  }
  return order;
}

}  // namespace stack::model
