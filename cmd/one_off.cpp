#include "cmd/one_off.hpp"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "cmd/up_teardown.hpp"
#include "engine/base/file.hpp"
#include "engine/runtime/cleanup.hpp"

namespace stack::cli {

namespace {
std::string marks_dir(const std::string& root) { return root + "/one-off"; }
std::string mark_path(const std::string& root, const std::string& id) { return marks_dir(root) + "/" + id + ".json"; }
}  // namespace

Result<void> mark_one_off(const std::string& root, const std::string& id, const std::string& project,
                          const RunCgroupPlace& cgroup) {
  STACK_TRY(make_dirs(marks_dir(root), 0700));
  pid_t self = ::getpid();
  nlohmann::json m{{"project", project},
                   {"cgroup", cgroup.rel},
                   {"pid", self},
                   {"start", engine::runtime::process_start_time(self)}};
  if (!cgroup.parent.is_default()) m["cgroup_parent"] = cgroup.parent.spec();
  if (!cgroup.made.missing.empty())
    m["cgroup_parent_made"] = {{"parent", cgroup.made.existing.spec()}, {"rel", cgroup.made.missing}};
  auto w = write_file_atomic(mark_path(root, id), m.dump() + "\n", 0644, Durability::kProcessCrash);
  if (!w) return unexpected(w.error().wrap("marking the one-off container " + id));
  return {};
}

void unmark_one_off(const std::string& root, const std::string& id) { ::unlink(mark_path(root, id).c_str()); }

Result<std::vector<std::string>> remove_one_offs(const std::string& root, const std::string& project) {
  std::vector<std::string> handled;
  std::string base = root + "/containers";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(marks_dir(root).c_str()), ::closedir);
  if (!d) return handled;  // no `stack run` ever ran under this root
  std::vector<std::pair<std::string, nlohmann::json>> mine;
  while (auto* e = ::readdir(d.get())) {
    std::string file = e->d_name;
    if (file.size() <= 5 || file.compare(file.size() - 5, 5, ".json") != 0) continue;
    auto text = read_file(marks_dir(root) + "/" + file);
    if (!text) continue;
    auto m = nlohmann::json::parse(*text, nullptr, false);
    if (m.is_discarded() || m.value("project", "") != project) continue;
    mine.emplace_back(file.substr(0, file.size() - 5), std::move(m));
  }
  auto undo = stack_undo_handlers();
  for (const auto& [name, m] : mine) {
    std::string dir = base + "/" + name;
    state::Record group{0, "cgroup", {{"rel", m.value("cgroup", "")}, {"parent", m.value("cgroup_parent", "")}}};
    int pid = m.value("pid", 0);
    bool run_lives = pid > 0 && engine::runtime::process_start_time(pid) == m.value("start", uint64_t{0});
    if (run_lives) {
      // Its `stack run` sees the exit and removes the container: wait for that.
      STACK_TRY(undo.at("cgroup")(group));
      for (int i = 0; i < 200 && ::access(dir.c_str(), F_OK) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (::access(dir.c_str(), F_OK) != 0) {
        unmark_one_off(root, name);
        handled.push_back(name);
        continue;
      }
    }
    bool there = ::access(dir.c_str(), F_OK) == 0;
    STACK_TRY(undo.at("cgroup")(group));  // kills what the journal's process record misses
    STACK_TRY(undo.at("container")(state::Record{0, "container", {{"dir", dir}}}));
    unmark_one_off(root, name);
    if (there) handled.push_back(name);
    // The project's group and stack/ went with the undo when nothing else was in them, as
    // with a run's own cleanup (RunCgroup::remove); so go the parent's groups it made.
    if (m.contains("cgroup_parent_made"))
      STACK_TRY(undo.at("cgroup_parent")(state::Record{0, "cgroup_parent", m["cgroup_parent_made"]}));
  }
  return handled;
}

}  // namespace stack::cli
