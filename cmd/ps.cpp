// `stack ps [-a] [-q] [--services] [--status S] [--format table|json] [SERVICE...]`: the supervisor's
// view of every container (docker compose ps). JSON is one object per line with
// compose's keys plus Pid, RestartCount, OOMKilled and StartedAt.
#include <errno.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <string_view>

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

// Docker's PORTS text from compose's Publishers: "127.0.0.1:8080->80/tcp, 53/udp".
std::string ports_text(const nlohmann::json& publishers) {
  std::string out;
  for (const auto& p : publishers) {
    if (!out.empty()) out += ", ";
    int published = p.value("PublishedPort", 0);
    if (published) out += p.value("URL", "") + ":" + std::to_string(published) + "->";
    out += std::to_string(p.value("TargetPort", 0)) + "/" + p.value("Protocol", "tcp");
  }
  return out;
}

// Terminal columns of a UTF-8 string (the command's "…" is one column, three bytes).
std::size_t columns(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// compose's table: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, columns as wide as
// their longest cell, three spaces apart.
void print_table(const std::vector<nlohmann::json>& list) {
  static const std::vector<std::pair<const char*, const char*>> kCols{
      {"NAME", "Name"},       {"IMAGE", "Image"},   {"COMMAND", "Command"}, {"SERVICE", "Service"},
      {"CREATED", "RunningFor"}, {"STATUS", "Status"}, {"PORTS", "Ports"}};
  std::vector<std::size_t> width;
  for (const auto& [title, key] : kCols) {
    std::size_t w = std::string_view(title).size();
    for (const auto& c : list) w = std::max(w, columns(c.value(key, "")));
    width.push_back(w);
  }
  auto row = [&](auto cell) {
    std::string line;
    for (std::size_t i = 0; i < kCols.size(); ++i) {
      std::string v = cell(i);
      if (i + 1 < kCols.size()) v.append(width[i] + 3 - columns(v), ' ');
      line += v;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  };
  row([&](std::size_t i) { return std::string(kCols[i].first); });
  for (const auto& c : list) row([&](std::size_t i) { return c.value(kCols[i].second, ""); });
}

// A supervisor answers ps from its loop at once; one that does not within this hangs.
constexpr std::chrono::seconds kAnswerWithin{5};

// The supervisor's answer, or state.json's (pids checked) when it is gone or hangs. A
// supervisor that dies as ps connects may still have accepted (its listening socket is
// closed only when its last thread has exited, which can be after its pid shows as a
// zombie): the connection is then reset without an answer, which is "gone" too.
stack::Result<nlohmann::json> query(const std::string& name, const stack::state::Layout& l, bool all) {
  if (auto c = stack::supervisor::ControlClient::connect(l.control_socket())) {
    auto r = c->call("ps", {{"all", all}}, {}, nullptr, kAnswerWithin);
    if (r) return r;
    int code = r.error().code;
    if (code != ETIMEDOUT && code != ECONNRESET && code != EPIPE) return r;
    if (code == ETIMEDOUT)
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
  for (auto e : r->at("containers"))
    if ((f.status.empty() || std::count(f.status.begin(), f.status.end(), e.value("State", ""))) &&
        (f.names.empty() || std::count(f.names.begin(), f.names.end(), e.value("Service", "")))) {
      e["Ports"] = ports_text(e.value("Publishers", nlohmann::json::array()));
      list.push_back(std::move(e));
    }
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
