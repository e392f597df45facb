// environment and env_file: env_file entries in order, `environment` over them, and a
// name given without a value taken from the project environment (compose's rules).
#include "engine/base/file.hpp"
#include "engine/model/dotenv.hpp"
#include "engine/model/normalize.hpp"
#include "engine/model/values.hpp"

namespace stack::model {
namespace {

struct EnvFileRef {
  std::string path;
  bool required = true;
  const Node* node = nullptr;
  std::string key_path;
};

Result<std::vector<EnvFileRef>> env_file_refs(const Node& n, const std::string& path) {
  std::vector<EnvFileRef> out;
  if (n.is_scalar()) {
    out.push_back({n.text, true, &n, path});
    return out;
  }
  if (!n.is_seq()) return fail_at(n, path, std::string("expected a file or a list of files, got ") + n.kind_name());
  for (size_t i = 0; i < n.items.size(); ++i) {
    const Node& item = n.items[i];
    std::string ip = index_path(path, i);
    EnvFileRef ref{"", true, &item, ip};
    if (item.is_scalar()) {
      ref.path = item.text;
    } else {
      STACK_TRY(check_keys(item, ip, {"path", "required"}, {"format"}));
      const Node* p = item.find("path");
      if (!p) return fail_at(item, ip, "missing \"path\"");
      STACK_ASSIGN(ref.path, read_string(*p, join_path(ip, "path")));
      if (const Node* r = item.find("required")) STACK_ASSIGN(ref.required, read_bool(*r, join_path(ip, "required")));
    }
    out.push_back(std::move(ref));
  }
  return out;
}

Result<void> load_env_file(const EnvFileRef& ref, const NormalizeContext& ctx,
                           std::map<std::string, std::optional<std::string>>& env) {
  std::string file = resolve_path(ref.path, ctx);
  auto text = read_file(file);
  if (!text) {
    if (!ref.required && text.error().code == ENOENT) return {};
    return fail_at(*ref.node, ref.key_path, "env file " + file + ": " + text.error().message);
  }
  if (ctx.env_file_budget) {
    if (text->size() > *ctx.env_file_budget) {
      return fail_at(*ref.node, ref.key_path, "env file " + file + ": env files exceed 64 MiB in total");
    }
    *ctx.env_file_budget -= text->size();
  }
  auto entries = parse_dotenv(*text, ctx.lookup);
  if (!entries) return fail_at(*ref.node, ref.key_path, "env file " + file + ": " + entries.error().message);
  for (auto& e : *entries) env[e.key] = std::move(e.value);
  return {};
}

}  // namespace

Result<std::map<std::string, std::optional<std::string>>> read_environment(
    const Node* environment, const Node* env_file, const std::string& path, const NormalizeContext& ctx) {
  std::map<std::string, std::optional<std::string>> env;
  if (env_file && !env_file->is_null()) {
    std::string ep = join_path(path, "env_file");
    auto refs = env_file_refs(*env_file, ep);
    if (!refs) return unexpected(std::move(refs).error());
    for (const auto& r : *refs) STACK_TRY(load_env_file(r, ctx, env));
  }
  if (environment && !environment->is_null()) {
    std::string ep = join_path(path, "environment");
    STACK_TRY(expect_map(*environment, ep));
    for (const auto& e : environment->entries) {
      if (e.key.text.empty() || e.key.text.find_first_of(" \t\n") != std::string::npos) {
        return fail_at(e.key, join_path(ep, e.key.text), "invalid variable name " + quote(e.key.text));
      }
      if (e.value.is_null()) {
        env[e.key.text] = ctx.lookup ? ctx.lookup(e.key.text) : std::nullopt;
        continue;
      }
      auto v = read_string(e.value, join_path(ep, e.key.text));
      if (!v) return unexpected(std::move(v).error());
      env[e.key.text] = std::move(*v);
    }
  }
  return env;
}

}  // namespace stack::model
