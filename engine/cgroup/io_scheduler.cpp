#include "engine/cgroup/io_scheduler.hpp"

#include <dirent.h>

#include "engine/base/file.hpp"

namespace stack::cgroup {
namespace {

bool proportional_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return false;
  std::string s = active_scheduler(*text);
  return s == "bfq" || s == "cfq";
}

// /sys/dev/block/M:m links to the device; a partition has no queue of its own, its
// disk (the parent directory) has.
bool device_proportional(const std::string& sys, uint32_t maj, uint32_t min) {
  std::string dev = sys + "/dev/block/" + std::to_string(maj) + ":" + std::to_string(min);
  auto text = read_file(dev + "/queue/scheduler");
  if (text) return proportional_file(dev + "/queue/scheduler");
  return proportional_file(dev + "/../queue/scheduler");
}

bool any_proportional(const std::string& sys) {
  DIR* d = ::opendir((sys + "/block").c_str());
  if (!d) return false;
  bool found = false;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.' && proportional_file(sys + "/block/" + e->d_name + "/queue/scheduler")) found = true;
  ::closedir(d);
  return found;
}

}  // namespace

std::string active_scheduler(std::string_view text) {
  auto lb = text.find('['), rb = text.find(']');
  if (lb == std::string_view::npos || rb == std::string_view::npos || rb < lb) return "";
  return std::string(text.substr(lb + 1, rb - lb - 1));
}

bool proportional_io_active(const Requirement& r, const std::string& sys) {
  if (r.devices.empty()) return any_proportional(sys);
  for (const auto& [maj, min] : r.devices)
    if (!device_proportional(sys, maj, min)) return false;
  return true;
}

}  // namespace stack::cgroup
