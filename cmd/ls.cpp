// `stack ls [-a] [-q] [--format table|json]`: the stacks on this host (docker compose
// ls): every directory under <run-root>/stacks, its supervisor asked for its state, or
// its state.json read (pids checked) when the supervisor is gone. STATUS counts the
// containers per state, "exited(1), running(2)"; without -a only running containers
// count and stacks without any are left out.
#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cmd/stack_client.hpp"
#include "cmd/up_common.hpp"
#include "engine/supervisor/control_client.hpp"

namespace {

struct LsFlags {
  bool all = false, quiet = false;
  std::string format = "table";
};

std::vector<std::string> stack_names(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// {"Name","Status","ConfigFiles"}, or null when it has nothing to show.
nlohmann::json describe(const stack::cli::Globals& g, const std::string& name, bool all) {
  auto layout = stack::cli::stack_layout(g, name);
  if (!layout) return nullptr;
  stack::Result<nlohmann::json> doc = stack::fail("");
  if (auto c = stack::supervisor::ControlClient::connect(layout->control_socket())) doc = c->call("state");
  if (!doc) {
    doc = stack::cli::offline_state(*layout);
    if (!doc && doc.error().message.rfind("no such stack", 0) == 0) return nullptr;  // no state yet
    if (!doc) {
      std::fprintf(stderr, "stack: %s\n", doc.error().message.c_str());
      if (!all) return nullptr;
      return {{"Name", name}, {"Status", "unknown"}, {"ConfigFiles", ""}};
    }
    stack::cli::warn_supervisor_gone(name, *layout);
  }
  std::map<std::string, int> count;
  for (const auto& c : (*doc)["containers"]) {
    std::string st = c.value("State", "");
    if (all || st == "running" || st == "restarting" || st == "paused") ++count[st];
  }
  if (count.empty() && !all) return nullptr;
  std::string status, files;
  for (const auto& [st, n] : count) status += (status.empty() ? "" : ", ") + st + "(" + std::to_string(n) + ")";
  for (const auto& f : doc->value("config_files", nlohmann::json::array()))
    files += (files.empty() ? "" : ",") + f.get<std::string>();
  return {{"Name", name}, {"Status", status}, {"ConfigFiles", files}};
}

int ls(const stack::cli::Globals& g, const LsFlags& f) {
  if (f.format != "table" && f.format != "json")
    return stack::cli::report("invalid --format '" + f.format + "': want table or json");
  auto list = nlohmann::json::array();
  for (const auto& name : stack_names(g.run_root + "/stacks"))
    if (auto d = describe(g, name, f.all); !d.is_null()) list.push_back(d);
  if (f.quiet) {
    for (const auto& d : list) std::printf("%s\n", d.value("Name", "").c_str());
  } else if (f.format == "json") {
    std::printf("%s\n", list.dump().c_str());
  } else {
    std::size_t w_name = 4, w_status = 6;
    for (const auto& d : list) {
      w_name = std::max(w_name, d.value("Name", "").size());
      w_status = std::max(w_status, d.value("Status", "").size());
    }
    auto row = [&](const std::string& a, const std::string& b, const std::string& c) {
      std::printf("%-*s   %-*s   %s\n", static_cast<int>(w_name), a.c_str(), static_cast<int>(w_status), b.c_str(), c.c_str());
    };
    row("NAME", "STATUS", "CONFIG FILES");
    for (const auto& d : list) row(d.value("Name", ""), d.value("Status", ""), d.value("ConfigFiles", ""));
  }
  return 0;
}

stack::cli::Registrar reg("ls", [](CLI::App& app, stack::cli::Globals& g) -> stack::cli::Runner {
  auto f = std::make_shared<LsFlags>();
  auto* sub = app.add_subcommand("ls", "List running stacks");
  sub->add_flag("-a,--all", f->all, "Show all stacks, also stopped ones");
  sub->add_flag("-q,--quiet", f->quiet, "Only display stack names");
  sub->add_option("--format", f->format, "table or json")->capture_default_str();
  return [&g, f] { return ls(g, *f); };
});

}  // namespace
