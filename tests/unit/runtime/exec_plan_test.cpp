// The exec plan from a container's spec, without a kernel: env merge, user and HOME,
// working directory, PATH lookup, the hardening copied from the container.
#include <catch2/catch.hpp>

#include "engine/runtime/exec.hpp"
#include "engine/runtime/exec_plan.hpp"

using namespace stack::engine::runtime;

namespace {

Spec container_spec() {
  Spec s;
  s.process.args = {"/bin/server"};
  s.process.env = {"PATH=/opt/bin:/bin", "HOME=/root", "MODE=prod"};
  s.process.cwd = "/srv";
  s.process.user = User{0, 0, {10}};
  s.process.rlimits = {Rlimit{7, 1024, 2048}};
  s.process.no_new_privileges = true;
  s.process.capabilities = CapSets{0x5, 0x5, 0x5, 0, 0};
  return s;
}

}  // namespace

TEST_CASE("merge_env overrides by key and appends new keys", "[runtime]") {
  auto env = merge_env({"A=1", "B=2"}, {"B=3", "C=4", "NOVALUE", "=x", "A="});
  CHECK(env == std::vector<std::string>{"A=", "B=3", "C=4"});
}

TEST_CASE("exec plan keeps the container's user, hardening and cwd by default", "[runtime]") {
  ExecOptions o;
  o.args = {"sh", "-c", "true"};
  o.stdio = {5, 6, 7};
  auto p = build_exec_process(container_spec(), o, nullptr);
  REQUIRE(p);
  CHECK(p->user.uid == 0);
  CHECK(p->user.additional_gids == std::vector<gid_t>{10});
  CHECK(p->cwd == "/srv");
  CHECK(p->no_new_privs);
  CHECK(p->caps.bounding == 0x5);
  REQUIRE(p->rlimits.size() == 1);
  CHECK(p->rlimits[0].soft == 1024);
  CHECK(p->env == std::vector<std::string>{"PATH=/opt/bin:/bin", "HOME=/root", "MODE=prod"});
  CHECK(p->exec_candidates == std::vector<std::string>{"/opt/bin/sh", "/bin/sh"});
  CHECK(p->stdio[0] == 5);
  CHECK(p->stdio[2] == 7);
  CHECK_FALSE(p->has_seccomp);
}

TEST_CASE("exec plan: -u, -w and -e", "[runtime]") {
  ExecOptions o;
  o.args = {"/bin/id"};
  o.workdir = "/tmp";
  o.env = {"MODE=debug", "PATH=/usr/bin"};
  ExecUser nobody{User{65534, 65534, {}}, "/nonexistent"};
  auto p = build_exec_process(container_spec(), o, &nobody);
  REQUIRE(p);
  CHECK(p->user.uid == 65534);
  CHECK(p->cwd == "/tmp");
  CHECK(p->env == std::vector<std::string>{"PATH=/usr/bin", "HOME=/nonexistent", "MODE=debug"});
  CHECK(p->exec_candidates == std::vector<std::string>{"/bin/id"});

  o.tty = true;
  p = build_exec_process(container_spec(), o, &nobody);
  REQUIRE(p);
  CHECK(p->env.back() == "TERM=xterm");
  CHECK(p->terminal);

  o.tty = false;
  o.env.push_back("HOME=/h");
  p = build_exec_process(container_spec(), o, &nobody);
  REQUIRE(p);
  CHECK(p->env[1] == "HOME=/h");
}

TEST_CASE("exec plan refuses a relative workdir and an empty command", "[runtime]") {
  ExecOptions o;
  CHECK_FALSE(build_exec_process(container_spec(), o, nullptr));
  o.args = {"ls"};
  o.workdir = "tmp";
  auto p = build_exec_process(container_spec(), o, nullptr);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("not absolute") != std::string::npos);
}

TEST_CASE("exec exit codes follow docker: 127 not found, 126 otherwise", "[runtime]") {
  CHECK(exec_exit_code(stack::Error{ENOENT, "exec: \"nope\": executable file not found in $PATH"}) == 127);
  CHECK(exec_exit_code(stack::Error{EACCES, "exec in web-1: exec /etc in container: Permission denied"}) == 126);
  CHECK(exec_exit_code(stack::Error{ENOENT, "exec in web-1: entering working directory /x: No such file"}) == 126);
}
