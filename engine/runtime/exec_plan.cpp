#include "engine/runtime/exec_plan.hpp"

#include "engine/runtime/exec.hpp"

namespace stack::engine::runtime {
namespace {

std::string key_of(const std::string& kv) { return kv.substr(0, kv.find('=')); }

bool sets(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& e : env)
    if (e.find('=') != std::string::npos && key_of(e) == key) return true;
  return false;
}

}  // namespace

std::vector<std::string> merge_env(std::vector<std::string> env, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    if (o.find('=') == std::string::npos || o.front() == '=') continue;
    std::string key = key_of(o);
    bool replaced = false;
    for (auto& e : env)
      if (key_of(e) == key) {
        e = o;
        replaced = true;
      }
    if (!replaced) env.push_back(o);
  }
  return env;
}

Result<ChildPlan> build_exec_process(const Spec& spec, const ExecOptions& options, const ExecUser* user) {
  if (options.args.empty()) return fail("exec needs a command");
  if (!options.workdir.empty() && options.workdir[0] != '/')
    return fail("working directory '" + options.workdir + "' is not absolute");
  const Process& p = spec.process;
  ChildPlan plan;
  std::vector<std::string> env = p.env;
  // The container's HOME belongs to its user; another user gets their own unless -e sets it.
  if (user) env = merge_env(std::move(env), {"HOME=" + (user->home.empty() ? "/" : user->home)});
  env = merge_env(std::move(env), options.env);
  if (!sets(env, "HOME")) env.push_back("HOME=/");
  if (options.tty && !sets(env, "TERM")) env.push_back("TERM=xterm");  // Docker does so with a tty
  plan.user = user ? user->user : p.user;
  plan.rlimits = p.rlimits;
  plan.caps = p.capabilities;
  plan.last_cap = read_last_cap();
  plan.no_new_privs = p.no_new_privileges;
  STACK_TRY(add_seccomp(plan, spec));
  plan.cwd = options.workdir.empty() ? p.cwd : options.workdir;
  plan.args = options.args;
  plan.env = std::move(env);
  Process lookup;
  lookup.args = plan.args;
  lookup.env = plan.env;
  plan.exec_candidates = exec_candidates(lookup);
  plan.terminal = options.tty;
  plan.pty_rows = options.rows;
  plan.pty_cols = options.cols;
  plan.stdio[0] = options.stdio.in;
  plan.stdio[1] = options.stdio.out;
  plan.stdio[2] = options.stdio.err;
  return plan;
}

}  // namespace stack::engine::runtime
