#include "engine/cgroup/path.hpp"

namespace stack::cgroup {

std::string escape_name(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (name.empty()) return "%";
  std::string out;
  out.reserve(name.size());
  for (unsigned char c : name) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    if (safe) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string project_path(std::string_view project) { return "stack/" + escape_name(project); }

std::string cgroup_path(std::string_view project, std::string_view service, int n) {
  return project_path(project) + "/" + escape_name(service) + "-" + std::to_string(n);
}

Result<void> check_relative(std::string_view rel) {
  if (rel.empty()) return fail("cgroup path is empty");
  size_t start = 0;
  while (true) {
    size_t end = rel.find('/', start);
    std::string_view part = rel.substr(start, end == std::string_view::npos ? rel.npos : end - start);
    if (part.empty() || part == "." || part == "..")
      return fail("cgroup path '" + std::string(rel) +
                  "' is not a plain relative path (empty, '.' or '..' component)");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

}  // namespace stack::cgroup
