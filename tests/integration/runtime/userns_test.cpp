// A container with its own user namespace (userns_mode): root inside is an unprivileged
// host id, the image still belongs to root inside (idmapped layers), writes land in the
// upper dir owned by the mapped id, and nothing is left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "tests/integration/runtime/fixture.hpp"

using stack::engine::runtime::Container;
using stack::engine::runtime::IdMap;
using stack::engine::runtime::NamespaceType;
using stack::engine::runtime::Spec;
using stack::testing::RuntimeFixture;

namespace {

constexpr uint32_t kHostBase = 231072;  // container 0..65535 -> host 231072..296607

Spec userns_spec(const RuntimeFixture& fx, std::vector<std::string> args) {
  Spec s = fx.spec(std::move(args));
  s.namespaces.push_back({NamespaceType::kUser, ""});
  s.uid_mappings = {IdMap{0, kHostBase, 65536}};
  s.gid_mappings = {IdMap{0, kHostBase, 65536}};
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string status_line(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) return line;
  return {};
}

bool dir_empty_or_absent(const std::string& path) {
  return stack::testing::run("ls -A " + path + " 2>/dev/null | wc -l").out == "0\n";
}

}  // namespace

TEST_CASE("userns: root inside is the mapped host id; the image is root's inside; writes land as the mapped id",
          "[runtime][userns]") {
  RuntimeFixture fx;
  std::string out_path = fx.tmp.path() + "/userns-out";
  stack::UniqueFd out(::open(out_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  stack::UniqueFd in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto s = userns_spec(fx, {"/bin/sh", "-c",
                            "id -u; id -g; stat -c '%u:%g %n' / /bin/busybox /etc/passwd;"
                            " echo data > /written; mkdir /made; grep CapEff /proc/self/status;"
                            " ls /sys/class/net; echo x > /dev/null && echo null-ok; ls /proc/1/ns >/dev/null && echo proc-ok;"
                            " echo ready; exec sleep 30"});
  s.stdio = {in.get(), out.get(), out.get()};
  auto c = Container::create(std::move(s), {fx.root, fx.next_id()});
  REQUIRE(c);
  auto started = c->start();
  INFO((started ? std::string() : started.error().message));
  REQUIRE(started);
  for (int i = 0; i < 100 && slurp(out_path).find("ready") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string got = slurp(out_path);
  INFO(got);
  // From the host: the container's root is kHostBase, with no capability over the host.
  CHECK(status_line(c->pid(), "Uid") == "Uid:\t231072\t231072\t231072\t231072");
  CHECK(status_line(c->pid(), "Gid") == "Gid:\t231072\t231072\t231072\t231072");
  // Inside: root, Docker's capabilities (relative to its namespace), the image root-owned.
  CHECK(got.find("0\n0\n0:0 /\n0:0 /bin/busybox\n0:0 /etc/passwd\n") == 0);
  CHECK(got.find("CapEff:\t00000000a80425fb") != std::string::npos);
  CHECK(got.find("lo\nnull-ok\nproc-ok\nready\n") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat((c->paths().upper + "/written").c_str(), &st) == 0);
  CHECK(st.st_uid == kHostBase);
  CHECK(st.st_gid == kHostBase);
  REQUIRE(::stat((c->paths().upper + "/made").c_str(), &st) == 0);
  CHECK(st.st_uid == kHostBase);
  // The image layer is untouched and still the host root's.
  REQUIRE(::stat((fx.layer + "/bin/busybox").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK(::access((fx.layer + "/written").c_str(), F_OK) != 0);
  pid_t pid = c->pid();
  auto status = c->stop(SIGKILL, std::chrono::milliseconds(2000));
  REQUIRE(status);
  REQUIRE(c->remove());
  CHECK(::kill(pid, 0) != 0);
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("userns: the container's root cannot do host-root things", "[runtime][userns]") {
  RuntimeFixture fx;
  std::string shared = fx.tmp.path() + "/host-owned";
  REQUIRE(::mkdir(shared.c_str(), 0755) == 0);
  REQUIRE(stack::testing::run("echo secret > " + shared + "/file && chmod 600 " + shared + "/file").status == 0);
  auto s = userns_spec(fx, {"/bin/sh", "-c",
                            "stat -c '%u:%g' /data;"
                            " touch /data/new 2>/dev/null && echo WROTE;"
                            " cat /data/file 2>/dev/null && echo READ;"
                            " mknod /tmp/sda b 8 0 2>/dev/null && echo MKNOD;"
                            " hostname other 2>/dev/null || echo hostname-refused;"
                            " echo done"});
  s.mounts.push_back({"/data", "bind", shared, {"rbind"}});  // marked rw
  auto r = fx.run_capture(s);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  INFO(r->out);
  // Host root's files show as the overflow id and stay out of reach despite CAP_DAC_OVERRIDE.
  CHECK(r->out.find("65534:65534\n") == 0);
  CHECK(r->out.find("WROTE") == std::string::npos);
  CHECK(r->out.find("READ") == std::string::npos);
  CHECK(r->out.find("MKNOD") == std::string::npos);
  CHECK(r->out.find("done\n") != std::string::npos);
  CHECK(::access((shared + "/new").c_str(), F_OK) != 0);
  CHECK(fx.leftover_mounts().empty());
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}

TEST_CASE("userns: bad mappings are refused before anything is made", "[runtime][userns]") {
  RuntimeFixture fx;
  auto s = userns_spec(fx, {"/bin/true"});
  s.uid_mappings = {IdMap{1, kHostBase, 10}};
  auto no_root = fx.run_capture(s);
  REQUIRE(!no_root);
  CHECK(no_root.error().message == "uid 0 (the container's root) is not mapped");
  s = userns_spec(fx, {"/bin/true"});
  s.gid_mappings = {IdMap{0, kHostBase, 10}, IdMap{5, 1000, 10}};
  auto overlap = fx.run_capture(s);
  REQUIRE(!overlap);
  CHECK(overlap.error().message == "gid mapping 5:1000:10 overlaps another one");
  s = fx.spec({"/bin/true"});
  s.uid_mappings = {IdMap{0, kHostBase, 10}};
  auto without = fx.run_capture(s);
  REQUIRE(!without);
  CHECK(without.error().message == "uid/gid mappings are given but no user namespace is asked for");
  CHECK(dir_empty_or_absent(fx.root + "/containers"));
}
