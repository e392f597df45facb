// StackNetworks' dynamic membership against the real kernel, without the supervisor:
// two "containers" (children in netns of their own) join, get links and names, reach
// each other; one leaves and its veth, lease, name and /etc/hosts line go; then the
// journal's replay removes the bridge, the nft table and the ledger entries.
// The cmd/ sources are compiled into this test (the command line is not a library).
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <future>

#include "cmd/up_net_plan.cpp"     // NOLINT(bugprone-suspicious-include)
#include "cmd/up_networks.cpp"     // NOLINT(bugprone-suspicious-include)
#include "cmd/run_cgroup.cpp"      // NOLINT(bugprone-suspicious-include): thaw_project, for up_teardown
#include "cmd/service_blkio.cpp"   // NOLINT(bugprone-suspicious-include): run_cgroup's blkio_limits
#include "cmd/up_teardown.cpp"     // NOLINT(bugprone-suspicious-include)
#include "engine/base/file.hpp"
#include "engine/base/uv_handle.hpp"
#include "tests/integration/netup/netup_fixture.hpp"

using netup::run;

namespace {

// A child in a netns of its own, until the end of the test.
struct NetnsChild {
  pid_t pid = -1;
  NetnsChild() {
    int ready[2];
    REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
    pid = ::fork();
    if (pid == 0) {
      char ok = ::unshare(CLONE_NEWNET) == 0 ? 1 : 0;
      (void)!::write(ready[1], &ok, 1);
      ::pause();
      ::_exit(0);
    }
    ::close(ready[1]);
    char ok = 0;
    REQUIRE(::read(ready[0], &ok, 1) == 1);
    ::close(ready[0]);
    REQUIRE(ok == 1);
  }
  ~NetnsChild() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::string in(const std::string& command) const {
    return "nsenter -t " + std::to_string(pid) + " -n " + command;
  }
};

// Runs a shell command while the loop serves the name server.
stack::testing::RunResult run_serving(uv_loop_t* loop, const std::string& command) {
  auto f = std::async(std::launch::async, [command] { return run(command); });
  while (f.wait_for(std::chrono::milliseconds(5)) != std::future_status::ready) uv_run(loop, UV_RUN_NOWAIT);
  return f.get();
}

}  // namespace

TEST_CASE("containers join and leave a running stack's network", "[netup][members]") {
  stack::testing::require_root();
  stack::testing::TempDir tmp{"stack-nu-mb-" + std::to_string(::getpid())};
  std::string project = "nu" + std::to_string(::getpid()) + "mb", full = project + "_default";
  stack::model::Project p;
  p.name = project;
  p.networks["default"].name = full;
  for (const char* s : {"a", "b"}) {
    p.services[s].name = s;
    stack::model::ServiceNetwork sn;
    sn.aliases = {std::string(s) + "-alias"};
    p.services[s].networks["default"] = sn;
  }
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto journal = stack::state::Journal::open(tmp.path() + "/journal");
  REQUIRE(journal);
  std::string root = tmp.path() + "/root", a = project + "-a-1", b = project + "-b-1";
  auto hosts_a = tmp.path() + "/hosts-a", hosts_b = tmp.path() + "/hosts-b";
  REQUIRE(stack::write_file_atomic(hosts_a, "", 0644));
  REQUIRE(stack::write_file_atomic(hosts_b, "", 0644));
  {
    auto nets = stack::cli::StackNetworks::make(&loop, root, p, *journal);
    INFO((nets ? "" : nets.error().message));
    REQUIRE(nets);
    auto& n = **nets;
    std::string bridge = stack::net::bridge_name(full);
    CHECK(netup::link_exists(bridge));
    NetnsChild ca, cb;
    struct stat before {};
    REQUIRE(::stat(hosts_a.c_str(), &before) == 0);
    REQUIRE(n.join(a, "a", {{"host-a"}, "127.0.0.1\tlocalhost\n", hosts_a, {}}, *journal));
    REQUIRE(n.attach(a, ca.pid, *journal));
    // b joins the running network: a's /etc/hosts learns of it in place.
    REQUIRE(n.join(b, "b", {{"host-b"}, "", hosts_b, {}}, *journal));
    REQUIRE(n.attach(b, cb.pid, *journal));
    auto ip_a = stack::net::format(*n.address(a)), ip_b = stack::net::format(*n.address(b));
    auto gw = stack::net::format(*n.gateway(a));
    CHECK(netup::link_exists(stack::net::veth_name(b, full)));
    auto text_a = stack::read_file(hosts_a);
    REQUIRE(text_a);
    CHECK(*text_a == "127.0.0.1\tlocalhost\n" + ip_a + "\thost-a a " + a + " a-alias\n" + ip_b + "\tb " + b +
                         " b-alias\n");
    CHECK(run(ca.in("busybox ping -c 1 -W 2 " + ip_b)).status == 0);
    auto found = run_serving(&loop, ca.in("busybox nslookup -timeout=2 b-alias " + gw));
    INFO(found.out);
    CHECK(found.out.find(ip_b) != std::string::npos);
    CHECK(run("grep -c '" + b + "' " + root + "/network/ipam.state").out == "1\n");

    REQUIRE(n.leave(b, *journal));
    CHECK(!netup::link_exists(stack::net::veth_name(b, full)));
    CHECK(run("grep -c '" + b + "' " + root + "/network/ipam.state", false).out == "0\n");
    // Rewritten in place (a's bind mount shows this very inode) and cut to the shorter text.
    text_a = stack::read_file(hosts_a);
    CHECK(*text_a == "127.0.0.1\tlocalhost\n" + ip_a + "\thost-a a " + a + " a-alias\n");
    struct stat after {};
    REQUIRE(::stat(hosts_a.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    auto gone = run_serving(&loop, ca.in("busybox nslookup -timeout=1 b-alias " + gw));
    CHECK(gone.out.find(ip_b) == std::string::npos);
    CHECK(run(ca.in("busybox ping -c 1 -W 1 " + ip_b)).status != 0);
    // Joining again leases afresh (a new member), leaving twice is a no-op.
    REQUIRE(n.join(b, "b", {{"host-b"}, "", hosts_b, {}}, *journal));
    REQUIRE(n.leave(b, *journal));
    REQUIRE(n.leave(b, *journal));
  }
  REQUIRE(stack::state::replay(*journal, stack::cli::stack_undo_handlers()));
  CHECK(!netup::link_exists(stack::net::bridge_name(full)));
  CHECK(!netup::link_exists(stack::net::veth_name(a, full)));
  CHECK(run("nft list table ip " + stack::net::nat_table_name(project) + " 2>&1 >/dev/null").status != 0);
  CHECK(run("grep -c '" + project + "' " + root + "/network/ipam.state", false).out == "0\n");
  REQUIRE(stack::uv_close_loop(&loop));
}
