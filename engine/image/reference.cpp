// Image references, with docker's grammar (distribution/reference): an optional
// registry host ("localhost:5000", "ghcr.io"), '/'-separated lower-case path components,
// then ":tag" and/or "@sha256:<hex>". A bare name means ":latest", as in docker.
#include <cctype>

#include "engine/image/store.hpp"

namespace stack::image {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (is_lower_alnum(ch)) continue;
    if (ch == '.' || ch == '_') {
      if (ch == '_' && i + 1 < c.size() && c[i + 1] == '_') ++i;
      if (!is_lower_alnum(c[i + 1])) return false;
    } else if (ch != '-') {
      return false;
    }
  }
  return true;
}

// host[:port]: letters, digits, '-', '.', then an optional numeric port.
bool valid_domain(std::string_view d) {
  auto colon = d.find(':');
  std::string_view host = d.substr(0, colon);
  if (host.empty()) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  if (colon == std::string_view::npos) return true;
  std::string_view port = d.substr(colon + 1);
  if (port.empty()) return false;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || t.front() == '.' || t.front() == '-') return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

bool valid_digest(std::string_view d) {
  if (d.substr(0, 7) != "sha256:" || d.size() != 7 + 64) return false;
  for (char c : d.substr(7))
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c)))
      return false;
  return true;
}

bool valid_name(std::string_view name) {
  size_t start = 0;
  auto first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = name.substr(0, first_slash);
    // Docker's rule: the first component is a registry host if it has '.' or ':' or is
    // "localhost".
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      if (!valid_domain(first)) return false;
      start = first_slash + 1;
    }
  }
  if (start >= name.size()) return false;
  while (true) {
    auto slash = name.find('/', start);
    if (!valid_component(name.substr(start, slash == std::string_view::npos ? slash : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

std::string Reference::str() const {
  std::string s = name;
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Result<Reference> parse_reference(std::string_view ref) {
  auto bad = [&](const std::string& why) {
    return fail("invalid image reference '" + std::string(ref) + "': " + why);
  };
  if (ref.empty()) return bad("empty");
  Reference r;
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    r.digest = std::string(rest.substr(at + 1));
    if (!valid_digest(r.digest)) return bad("digest must be sha256: and 64 lower-case hex digits");
    rest = rest.substr(0, at);
  }
  auto colon = rest.rfind(':');
  auto slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    r.tag = std::string(rest.substr(colon + 1));
    if (!valid_tag(r.tag)) return bad("tag '" + r.tag + "' must be [A-Za-z0-9_.-], at most 128, not starting with '.' or '-'");
    rest = rest.substr(0, colon);
  }
  r.name = std::string(rest);
  if (!valid_name(r.name)) return bad("repository name must be lowercase [a-z0-9] components separated by '/', '.', '_' or '-'");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace stack::image
