#include "engine/image/import/entry_path.hpp"

namespace stack::image {
namespace {
constexpr std::string_view kWhPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kAufsMeta = ".wh..wh.";
}  // namespace

Result<std::string> clean_entry_path(std::string_view raw) {
  std::string out;
  size_t i = 0;
  while (i <= raw.size()) {
    size_t slash = raw.find('/', i);
    if (slash == std::string_view::npos) slash = raw.size();
    std::string_view comp = raw.substr(i, slash - i);
    i = slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..")
      return fail("layer entry '" + std::string(raw) + "' has a '..' component: it could write outside the layer");
    if (!out.empty()) out += '/';
    out.append(comp);
  }
  if (out.empty()) return std::string(".");
  return out;
}

EntryAction classify_entry(const std::string& cleaned) {
  auto slash = cleaned.rfind('/');
  std::string dir = slash == std::string::npos ? "." : cleaned.substr(0, slash);
  std::string_view base = std::string_view(cleaned).substr(slash == std::string::npos ? 0 : slash + 1);
  if (base == kOpaqueMarker) return {EntryKind::kOpaque, dir};
  if (base.substr(0, kAufsMeta.size()) == kAufsMeta) return {EntryKind::kSkip, cleaned};
  if (base.substr(0, kWhPrefix.size()) == kWhPrefix && base.size() > kWhPrefix.size()) {
    std::string target(base.substr(kWhPrefix.size()));
    if (target == "." || target == "..") return {EntryKind::kSkip, cleaned};
    return {EntryKind::kWhiteout, dir == "." ? target : dir + "/" + target};
  }
  return {EntryKind::kNormal, cleaned};
}

}  // namespace stack::image
