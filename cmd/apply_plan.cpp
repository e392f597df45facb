#include "cmd/apply_plan.hpp"

#include <algorithm>

#include "engine/image/sha256.hpp"
#include "engine/model/load.hpp"

namespace stack::cli {

nlohmann::json ApplyOptions::to_json() const {
  return {{"services", services},
          {"scale", scale},
          {"force_recreate", force_recreate},
          {"no_recreate", no_recreate},
          {"remove_orphans", remove_orphans}};
}

ApplyOptions ApplyOptions::from_json(const nlohmann::json& j) {
  ApplyOptions o;
  o.services = j.value("services", std::vector<std::string>{});
  o.scale = j.value("scale", std::map<std::string, uint64_t>{});
  o.force_recreate = j.value("force_recreate", false);
  o.no_recreate = j.value("no_recreate", false);
  o.remove_orphans = j.value("remove_orphans", false);
  return o;
}

namespace {

std::string service_hash(nlohmann::json s, const std::string& image_id) {
  s.erase("scale");
  if (s.contains("deploy") && s["deploy"].is_object()) s["deploy"].erase("replicas");
  // x-bandwidth changes in place on a running container (reshape_link), so a change of
  // it alone keeps the container; `networks: {x: {x-bandwidth: ...}}` and `x: null` alike.
  s.erase("x-bandwidth");
  if (s.contains("networks") && s["networks"].is_object())
    for (auto& [key, entry] : s["networks"].items())
      if (entry.is_object()) {
        entry.erase("x-bandwidth");
        if (entry.empty()) entry = nullptr;
      }
  return image::sha256_hex(s.dump() + "\n" + image_id);
}

}  // namespace

std::map<std::string, std::string> config_hashes(const model::Project& project,
                                                 const std::map<std::string, std::string>& image_ids) {
  std::map<std::string, std::string> out;
  if (image_ids.empty()) return out;
  const nlohmann::json all = model::to_json(project);
  const auto& services = all.at("services");
  for (const auto& [service, image_id] : image_ids) out[service] = service_hash(services.at(service), image_id);
  return out;
}

ApplyPlan plan_apply(const std::vector<Current>& running, const std::map<std::string, uint64_t>& selected,
                     const std::map<std::string, std::string>& hashes, const ApplyOptions& o) {
  ApplyPlan p;
  std::set<Slot> have;
  for (const auto& c : running) {
    have.insert(c.slot);
    auto want = selected.find(c.slot.service);
    if (!hashes.count(c.slot.service)) {
      p.orphans.push_back(c.slot);
    } else if (want == selected.end()) {
      p.keep.push_back(c.slot);  // not named by this `up`: left as it is
    } else if (c.slot.index > want->second) {
      p.remove.push_back(c.slot);
    } else if (!c.up || (!o.no_recreate && (o.force_recreate || c.hash != hashes.at(c.slot.service)))) {
      p.recreate.push_back(c.slot);
    } else {
      p.keep.push_back(c.slot);
    }
  }
  for (const auto& [service, n] : selected)
    for (uint64_t i = 1; i <= n; ++i)
      if (!have.count({service, i})) p.create.push_back({service, i});
  std::sort(p.remove.begin(), p.remove.end(), [](const Slot& a, const Slot& b) {
    return a.service != b.service ? a.service < b.service : a.index > b.index;
  });
  return p;
}

}  // namespace stack::cli
