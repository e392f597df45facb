#pragma once
// The steps of the container's first process (child.cpp) that a process exec'd into a
// running container (exec_child.cpp) repeats. System calls only (sys.hpp: errno is not
// touched), nothing allocates; a failure sends (step, index, errno) on sync_fd and exits 127.
#include "engine/runtime/plan.hpp"
#include "engine/runtime/sync.hpp"

namespace stack::engine::runtime::child {

[[noreturn]] void die(int sync_fd, Step step, int err, uint32_t index = 0);
// rc, a sys::call result, when >= 0; else die(sync_fd, step, -rc).
long check(long rc, int sync_fd, Step step);
// Every handler back to SIG_DFL and nothing blocked: we may come from a libuv process.
void reset_signals();
void set_rlimits(const ChildPlan& plan, int sync_fd);
// A pty on the container's /dev/ptmx (its own devpts instance: call it inside the
// container's mount namespace and root), the window size set, the slave owned by
// plan.user; the master is sent back (kPtyMaster) and the slave returned.
int open_pty(const ChildPlan& plan, int sync_fd);
// plan.stdio (or tty, if >= 0) onto 0, 1, 2; every other fd but sync_fd closed;
// TIOCSCTTY with a terminal.
void setup_stdio(const ChildPlan& plan, int sync_fd, int tty = -1);
// plan.cwd resolved inside "/" (the container's root by now), never out of it.
void enter_workdir(const ChildPlan& plan, int sync_fd);
// Bounding set, seccomp, groups, gid, uid, capabilities, no_new_privs.
void drop_privileges(const ChildPlan& plan, int sync_fd);
// Sends kExecing, then tries each exec candidate; dies with kExec if none ran.
[[noreturn]] void exec_command(const ChildPlan& plan, int sync_fd);

}  // namespace stack::engine::runtime::child
