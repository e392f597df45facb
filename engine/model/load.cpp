// The model's pipeline (design.md "Flow of one up", step 1): discover and read files,
// parse each into a tree with positions, interpolate it (compose interpolates every file
// before merging), merge, then validate and normalise into a Project.
#include "engine/model/load.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "engine/base/file.hpp"
#include "engine/model/dotenv.hpp"
#include "engine/model/merge.hpp"
#include "engine/model/normalize.hpp"
#include "engine/model/tree_interpolate.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDiscovered[] = {"stack.yaml",   "stack.yml",          "compose.yaml",
                                       "compose.yml",  "docker-compose.yaml", "docker-compose.yml"};

std::string current_dir() {
  std::error_code ec;
  auto p = fs::current_path(ec);
  return ec ? std::string("/") : p.string();
}

std::string absolute_in(const std::string& base, const std::string& p) {
  fs::path out = (!p.empty() && p[0] == '/') ? fs::path(p) : fs::path(base.empty() ? current_dir() : base) / p;
  std::string s = out.lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// compose-go NormalizeProjectName: lowercase, keep [a-z0-9_-], no leading '_' or '-'.
std::string normalize_name(std::string_view in) {
  std::string out;
  for (char c : in) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-') out += l;
  }
  size_t start = out.find_first_not_of("_-");
  return start == std::string::npos ? std::string() : out.substr(start);
}

Result<std::string> explicit_name(const std::string& name, const std::string& where) {
  if (name.empty() || normalize_name(name) != name) {
    return fail(where + "invalid project name " + quote(name) +
                ": use lowercase letters, digits, '-' and '_', starting with a letter or digit");
  }
  return name;
}

using Env = std::map<std::string, std::string>;

Result<Env> project_environment(const LoadOptions& o, const std::string& project_dir) {
  std::vector<std::string> files;
  bool explicit_files = !o.env_files.empty();
  for (const auto& f : o.env_files) files.push_back(absolute_in(o.working_dir, f));
  if (!explicit_files) files.push_back(project_dir + "/.env");
  Env env;
  for (const auto& f : files) {
    auto text = read_file(f);
    if (!text) {
      if (!explicit_files && text.error().code == ENOENT) continue;
      return fail("env file " + f + ": " + text.error().message);
    }
    Lookup lookup = [&](std::string_view name) -> std::optional<std::string> {
      auto p = o.environment.find(std::string(name));
      if (p != o.environment.end()) return p->second;
      auto e = env.find(std::string(name));
      if (e != env.end()) return e->second;
      return std::nullopt;
    };
    auto entries = parse_dotenv(*text, lookup);
    if (!entries) return fail(f + ": " + entries.error().message);
    for (auto& e : *entries) {
      if (e.value) env[e.key] = *e.value;
    }
  }
  for (const auto& [k, v] : o.environment) env[k] = v;  // the process environment wins
  return env;
}

std::vector<std::string> active_profiles(const LoadOptions& o, const Env& env) {
  std::vector<std::string> out = o.profiles;
  auto it = env.find("COMPOSE_PROFILES");
  if (out.empty() && it != env.end()) {
    std::stringstream ss(it->second);
    std::string p;
    while (std::getline(ss, p, ',')) {
      if (!p.empty()) out.push_back(p);
    }
  }
  return out;
}

bool is_active(const Service& s, const std::vector<std::string>& active) {
  if (s.profiles.empty()) return true;
  for (const auto& a : active) {
    if (a == "*" || std::find(s.profiles.begin(), s.profiles.end(), a) != s.profiles.end()) return true;
  }
  return false;
}

Result<std::string> project_name(const LoadOptions& o, const Env& env, const Node& root,
                                 const std::string& project_dir) {
  if (!o.project_name.empty()) return explicit_name(o.project_name, "-p: ");
  if (auto it = env.find("COMPOSE_PROJECT_NAME"); it != env.end() && !it->second.empty()) {
    return explicit_name(it->second, "COMPOSE_PROJECT_NAME: ");
  }
  if (const Node* n = root.find("name"); n && !n->is_null()) {
    auto s = read_string(*n, "name");
    if (!s) return unexpected(std::move(s).error());
    return explicit_name(*s, n->pos.str() + ": name: ");
  }
  std::string base = fs::path(project_dir).filename().string();
  std::string name = normalize_name(base);
  if (name.empty()) {
    return fail("cannot derive a project name from the directory " + quote(base) + ": use -p NAME or name:");
  }
  return name;
}

Result<Node> read_documents(const std::vector<Document>& docs, const Lookup& lookup, const Env& env,
                            std::vector<std::string>& warnings) {
  std::vector<std::string> unset;
  InterpolationBudget budget;
  for (const auto& [k, v] : env) budget.max_value = std::max(budget.max_value, v.size());
  Node merged;
  for (const auto& d : docs) {
    auto tree = parse_yaml(d.text, &d.name);
    if (!tree) return unexpected(std::move(tree).error());
    if (tree->is_null()) return fail_at(tree->pos, "", "the stack file is empty");
    if (!tree->is_map()) return fail_at(*tree, "", std::string("the stack file must be a mapping, not ") + tree->kind_name());
    STACK_TRY(check_keys(*tree, "", {"version", "name", "services", "networks", "volumes"},
                         {"include", "secrets", "configs", "models"}));
    STACK_TRY(interpolate_tree(*tree, lookup, budget, &unset));
    STACK_TRY(canonicalize(*tree));
    if (merged.is_null()) {
      merged = std::move(*tree);
    } else {
      merge_files(merged, *tree);
    }
  }
  std::sort(unset.begin(), unset.end());
  unset.erase(std::unique(unset.begin(), unset.end()), unset.end());
  for (const auto& name : unset) {
    warnings.push_back("the " + quote(name) + " variable is not set, defaulting to a blank string");
  }
  return merged;
}

Result<void> read_services(const Node& root, const NormalizeContext& ctx,
                           const std::vector<std::string>& active, Project& p) {
  const Node* services = root.find("services");
  if (!services || services->is_null()) return {};
  STACK_TRY(expect_map(*services, "services"));
  for (const auto& e : services->entries) {
    auto s = normalize_service(e, ctx);
    if (!s) return unexpected(std::move(s).error());
    p.all_profiles.insert(s->profiles.begin(), s->profiles.end());
    if (is_active(*s, active)) {
      p.services.emplace(s->name, std::move(*s));
    } else {
      p.disabled_services.push_back(s->name);
    }
  }
  return {};
}

}  // namespace

Result<Project> load_documents(const std::vector<Document>& docs, const LoadOptions& options) {
  if (docs.empty()) return fail("no stack file given");
  LoadOptions o = options;
  if (o.working_dir.empty()) o.working_dir = current_dir();
  std::string project_dir;
  if (!o.project_directory.empty()) {
    project_dir = absolute_in(o.working_dir, o.project_directory);
  } else if (docs[0].name.find('/') != std::string::npos) {
    project_dir = fs::path(absolute_in(o.working_dir, docs[0].name)).parent_path().string();
  } else {
    project_dir = absolute_in(o.working_dir, ".");
  }
  auto env = project_environment(o, project_dir);
  if (!env) return unexpected(std::move(env).error());
  Lookup lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env->find(std::string(name));
    if (it == env->end()) return std::nullopt;
    return it->second;
  };
  Project p;
  auto root = read_documents(docs, lookup, *env, p.warnings);
  if (!root) return unexpected(std::move(root).error());

  p.working_dir = project_dir;
  for (const auto& d : docs) p.files.push_back(d.name);
  STACK_ASSIGN(p.name, project_name(o, *env, *root, project_dir));
  if (const Node* v = root->find("version")) {
    p.warnings.push_back(v->pos.str() + ": the attribute `version` is obsolete and ignored");
  }
  size_t env_file_budget = 64u << 20;
  NormalizeContext ctx{p.name, project_dir, lookup, &p.warnings, &env_file_budget};
  STACK_TRY(read_services(*root, ctx, active_profiles(o, *env), p));
  STACK_ASSIGN(p.networks, read_networks(root->find("networks"), ctx));
  STACK_ASSIGN(p.volumes, read_volumes_top(root->find("volumes"), ctx));
  bool uses_default = false;
  for (const auto& [n, s] : p.services) uses_default = uses_default || s.networks.count("default");
  if (uses_default && !p.networks.count("default")) p.networks["default"].name = p.name + "_default";
  p.extensions = extensions_of(*root);
  STACK_TRY(resolve_references(p));
  return p;
}

Result<Project> load(const LoadOptions& options) {
  LoadOptions o = options;
  if (o.working_dir.empty()) o.working_dir = current_dir();
  std::vector<std::string> files = o.files;
  if (files.empty()) {
    std::string dir = o.project_directory.empty() ? o.working_dir : absolute_in(o.working_dir, o.project_directory);
    for (const char* name : kDiscovered) {
      std::error_code ec;
      if (fs::is_regular_file(fs::path(dir) / name, ec)) {
        files.push_back(dir == o.working_dir ? std::string(name) : dir + "/" + name);
        break;
      }
    }
    if (files.empty()) {
      return fail("no stack file found in " + dir +
                  " (looked for stack.yaml, stack.yml, compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml)");
    }
  }
  std::vector<Document> docs;
  for (const auto& f : files) {
    auto text = read_file(absolute_in(o.working_dir, f));
    if (!text) return unexpected(std::move(text).error());
    docs.push_back(Document{f, std::move(*text)});
  }
  if (o.project_directory.empty()) {
    o.project_directory = fs::path(absolute_in(o.working_dir, files[0])).parent_path().string();
  }
  auto p = load_documents(docs, o);
  if (!p) return p;
  for (auto& f : p->files) f = absolute_in(o.working_dir, f);
  return p;
}

}  // namespace stack::model
