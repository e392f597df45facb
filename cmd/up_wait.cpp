#include "cmd/up_wait.hpp"

#include <cstdio>
#include <set>
#include <thread>

#include "cmd/progress.hpp"
#include "cmd/registry.hpp"
#include "engine/supervisor/wait_ready.hpp"

namespace stack::cli {

namespace sv = stack::supervisor;

namespace {

void progress(const std::string& name, bool ok, const char* what) {
  if (ok) progress_done("Container " + name, what);
  else progress_failed("Container " + name);
}

}  // namespace

int wait_ready(sv::ControlClient& client, std::chrono::steady_clock::time_point deadline, int timeout_s) {
  std::set<std::string> done;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto r = client.call("ps", {{"all", true}}, {}, nullptr, std::max(left, std::chrono::milliseconds(1)));
    if (!r) return report(r.error().message);
    bool pending = false;
    for (const auto& c : r->at("containers")) {
      std::string name = c.value("Name", "");
      if (done.count(name)) continue;
      auto v = sv::ready_verdict(c);
      switch (v.readiness) {
        case sv::Readiness::kPending: pending = true; break;
        case sv::Readiness::kHealthy:
        case sv::Readiness::kRunning: progress(name, true, "Healthy"); break;
        case sv::Readiness::kCompleted: progress(name, true, "Exited"); break;
        case sv::Readiness::kFailed: progress(name, false, "Error"); return report(v.why);
      }
      if (v.readiness != sv::Readiness::kPending) done.insert(name);
    }
    if (!pending) return 0;
    if (std::chrono::steady_clock::now() >= deadline)
      return report("application not healthy after " + std::to_string(timeout_s) + "s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace stack::cli
