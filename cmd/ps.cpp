// `stack ps [-a] [-q] [--services] [--status S] [--format table|json] [SERVICE...]`: the supervisor's
// view of every container (docker compose ps). JSON is one object per line with
// compose's keys plus Pid, RestartCount, OOMKilled and StartedAt.
#include <errno.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "cmd/registry.hpp"
#include "cmd/stack_client.hpp"
#include "cmd/up_common.hpp"
#include "engine/supervisor/control_client.hpp"

namespace {

struct PsFlags {
  bool all = false, quiet = false, services = false;
  std::vector<std::string> status, names;  // names: SERVICE...
  std::string format = "table";
};

// Docker's words, made by the supervisor: "Up 5 seconds (healthy)", "Exited (1) 3 seconds ago".
std::string status_text(const nlohmann::json& c) { return c.value("Status", ""); }

void print_table(const std::vector<nlohmann::json>& list) {
  std::size_t w_name = 4, w_service = 7;
  for (const auto& c : list) {
    w_name = std::max(w_name, c.value("Name", "").size());
    w_service = std::max(w_service, c.value("Service", "").size());
  }
  std::printf("%-*s   %-*s   %s\n", static_cast<int>(w_name), "NAME", static_cast<int>(w_service), "SERVICE", "STATUS");
  for (const auto& c : list)
    std::printf("%-*s   %-*s   %s\n", static_cast<int>(w_name), c.value("Name", "").c_str(),
                static_cast<int>(w_service), c.value("Service", "").c_str(), status_text(c).c_str());
}

// A supervisor answers ps from its loop at once; one that does not within this hangs.
constexpr std::chrono::seconds kAnswerWithin{5};

// The supervisor's answer, or state.json's (pids checked) when it is gone or hangs.
stack::Result<nlohmann::json> query(const std::string& name, const stack::state::Layout& l, bool all) {
  if (auto c = stack::supervisor::ControlClient::connect(l.control_socket())) {
    auto r = c->call("ps", {{"all", all}}, {}, nullptr, kAnswerWithin);
    if (r || r.error().code != ETIMEDOUT) return r;
    std::fprintf(stderr, "stack: the supervisor of %s (pid %d) does not answer: %s; stack down --force stops it\n",
                 name.c_str(), static_cast<int>(stack::cli::read_pid(l.supervisor_pid())), r.error().message.c_str());
  }
  auto doc = stack::cli::offline_state(l);
  if (!doc) return doc;
  stack::cli::warn_supervisor_gone(name, l);
  auto kept = nlohmann::json::array();
  for (const auto& e : (*doc)["containers"]) {
    std::string st = e.value("State", "");
    if (all || st == "running" || st == "restarting" || st == "paused") kept.push_back(e);
  }
  return nlohmann::json{{"containers", kept}};
}

int ps(const stack::cli::Globals& g, const PsFlags& f) {
  if (f.format != "table" && f.format != "json")
    return stack::cli::report("invalid --format '" + f.format + "': want table or json");
  static const std::set<std::string> kStates{"paused", "restarting", "removing", "running", "dead", "created", "exited"};
  for (const auto& s : f.status)
    if (!kStates.count(s))
      return stack::cli::report("invalid --status '" + s +
                                "': want paused, restarting, removing, running, dead, created or exited");
  auto name = stack::cli::project_name(g);
  if (!name) return stack::cli::report(name.error().message);
  if (!f.names.empty())
    if (auto p = stack::cli::load_project(g); p)  // the stack file is there to check names against
      for (const auto& n : f.names)
        if (!p->services.count(n)) return stack::cli::report("no such service: " + n);
  auto layout = stack::cli::stack_layout(g, *name);
  if (!layout) return stack::cli::report(layout.error().message);
  bool all = f.all || !f.status.empty();
  auto r = query(*name, *layout, all);
  if (!r) return stack::cli::report(r.error().message);
  std::vector<nlohmann::json> list;
  for (const auto& e : r->at("containers"))
    if ((f.status.empty() || std::count(f.status.begin(), f.status.end(), e.value("State", ""))) &&
        (f.names.empty() || std::count(f.names.begin(), f.names.end(), e.value("Service", ""))))
      list.push_back(e);
  if (f.services) {
    std::set<std::string> seen;
    for (const auto& e : list)
      if (seen.insert(e.value("Service", "")).second) std::printf("%s\n", e.value("Service", "").c_str());
  } else if (f.quiet) {
    for (const auto& e : list) std::printf("%s\n", e.value("Name", "").c_str());
  } else if (f.format == "json") {
    for (auto e : list) {
      e.erase("Error");
      std::printf("%s\n", e.dump().c_str());
    }
  } else {
    print_table(list);
  }
  return 0;
}

stack::cli::Registrar reg("ps", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<PsFlags>();
  auto* sub = app.add_subcommand("ps", "List containers");
  sub->add_flag("-a,--all", f->all, "Show all containers, also stopped ones");
  sub->add_flag("-q,--quiet", f->quiet, "Only display names");
  sub->add_flag("--services", f->services, "Display services");
  sub->add_option("--status", f->status, "Filter by state (running, restarting, exited, dead, created)");
  sub->add_option("--format", f->format, "table or json")->capture_default_str();
  sub->add_option("service", f->names, "Services");
  return [&g, f] { return ps(g, *f); };
});

}  // namespace
