#include "engine/runtime/errors.hpp"

#include <cstring>

namespace stack::engine::runtime {
namespace {

std::string step_text(const SyncMessage& m, const ChildPlan& plan) {
  switch (m.step) {
    case Step::kWaitGo: return "waiting for the launcher";
    case Step::kJoinNamespace: return "joining a namespace";
    case Step::kCgroupNamespace: return "making the cgroup namespace";
    case Step::kSession: return "starting a session (setsid)";
    case Step::kMountPrivate: return "making mounts private";
    case Step::kOpenRoot: return "opening the rootfs " + plan.rootfs;
    case Step::kOp: return m.index < plan.ops.size() ? plan.ops[m.index].describe() : "a mount step";
    case Step::kPivotRoot: return "pivot_root into " + plan.rootfs;
    case Step::kReadonlyRoot: return "making the rootfs read-only";
    case Step::kHostname: return "setting hostname " + plan.hostname;
    case Step::kLoopback: return "bringing up lo in the network namespace";
    case Step::kRlimit:
      return m.index < plan.rlimits.size() ? "setting rlimit " + std::to_string(plan.rlimits[m.index].resource)
                                           : "setting an rlimit";
    case Step::kStdio: return "setting up stdio";
    case Step::kCloseFds: return "closing inherited fds";
    case Step::kWorkdir: return "entering working directory " + plan.cwd;
    case Step::kWorkdirEscape: return "entering working directory " + plan.cwd;
    case Step::kBounding: return "dropping bounding capabilities";
    case Step::kSeccomp: return "loading the seccomp filter";
    case Step::kKeepCaps: return "keeping capabilities across setuid";
    case Step::kSetgroups: return "setting supplementary groups";
    case Step::kSetgid: return "setgid " + std::to_string(plan.user.gid);
    case Step::kSetuid: return "setuid " + std::to_string(plan.user.uid);
    case Step::kCapset: return "setting capabilities";
    case Step::kAmbient: return "setting ambient capabilities";
    case Step::kNoNewPrivs: return "setting no_new_privs";
    case Step::kInitFork: return "forking the init process";
    case Step::kExec: return "exec " + (plan.args.empty() ? std::string() : plan.args[0]);
    case Step::kJoinCgroup: return "joining the container's cgroup";
    case Step::kOpenPty: return "opening a pty on the container's /dev/ptmx";
    case Step::kSendPty: return "passing the pty master back";
    case Step::kExecClone: return "cloning the process into the container's pid namespace";
  }
  return "an unknown step";
}

}  // namespace

Error describe_child_error(const SyncMessage& m, const ChildPlan& plan, const std::string& image) {
  std::string cmd = plan.args.empty() ? "" : plan.args[0];
  std::string in_image = image.empty() ? "" : " in image " + image;
  if (m.step == Step::kExec && (m.err == ENOENT || m.err == ENOTDIR))
    return Error{m.err, "exec: no such file: " + cmd + in_image};
  if (m.step == Step::kExec && m.err == EACCES)
    return Error{m.err, "exec: permission denied: " + cmd + in_image};
  if (m.step == Step::kWorkdirEscape)
    return Error{m.err, "working directory " + plan.cwd + " leads outside the container's root: refused"};
  return Error{m.err, step_text(m, plan) + " in container: " + std::strerror(m.err)};
}

}  // namespace stack::engine::runtime
