#include "cmd/up_apply.hpp"

#include <cstdio>

#include "cmd/progress.hpp"
#include "cmd/supervisor_apply.hpp"
#include "cmd/up_common.hpp"

namespace stack::cli {

Result<std::map<std::string, uint64_t>> parse_scale(const std::vector<std::string>& flags) {
  std::map<std::string, uint64_t> out;
  for (const auto& f : flags) {
    auto eq = f.find('=');
    std::string n = eq == std::string::npos ? "" : f.substr(eq + 1);
    if (eq == 0 || n.empty() || n.find_first_not_of("0123456789") != std::string::npos)
      return fail("--scale " + f + ": expected SERVICE=NUM");
    out[f.substr(0, eq)] = std::stoull(n);
  }
  return out;
}

Result<std::set<std::string>> apply_project(supervisor::ControlClient& c, const Globals& g,
                                            const ApplyOptions& o, std::chrono::milliseconds timeout,
                                            const std::string& load_token) {
  nlohmann::json params{{"load", load_options_json(load_options(g))}, {"options", o.to_json()}};
  if (!load_token.empty()) params["load_token"] = load_token;
  auto r = c.call("apply", params, {}, nullptr, timeout);
  if (!r) return unexpected(r.error());
  if (r->contains("recovered")) std::fprintf(stderr, "%s\n", r->at("recovered").get<std::string>().c_str());
  const auto& orphans = r->at("orphans");
  if (!orphans.empty()) {
    std::string names;
    for (const auto& n : orphans) names += (names.empty() ? "" : ", ") + n.get<std::string>();
    // compose's wording.
    std::fprintf(stderr,
                 "WARN[0000] Found orphan containers ([%s]) for this project. If you removed or renamed this service "
                 "in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n",
                 names.c_str());
  }
  for (const auto& l : r->at("containers"))
    progress_done("Container " + l.value("name", ""), l.value("status", ""));
  std::fflush(stdout);
  std::fflush(stderr);
  std::set<std::string> start;
  for (const auto& n : r->at("start")) start.insert(n.get<std::string>());
  return start;
}

int print_started(const nlohmann::json& result, const std::set<std::string>& start) {
  int code = 0;
  for (const auto& c : result.at("containers")) {
    std::string name = c.value("name", ""), status = c.value("status", "");
    for (const auto& w : c.value("warnings", nlohmann::json::array()))
      if (start.count(name))
        std::fprintf(stderr, "stack: warning: container %s: %s\n", name.c_str(), w.get<std::string>().c_str());
    if (status == "Started") {
      if (start.count(name)) progress_done("Container " + name, "Started");
      continue;
    }
    progress_failed("Container " + name);
    std::fflush(stdout);
    std::fprintf(stderr, "stack: container %s: %s\n", name.c_str(), c.value("message", "").c_str());
    code = 1;
  }
  std::fflush(stdout);
  return code;
}

}  // namespace stack::cli
